"""Superset's settings for the compose stack (SUPERSET_CONFIG_PATH points here).

Secrets come from the environment docker-compose.yml passes in; nothing secret is written here.
"""

import os

# signs sessions and encrypts the stored connection passwords; compose refuses to start without it
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Superset's own metadata (users, charts, dashboards) in SQLite on the superset-home volume:
# one office, a handful of users; the data itself is read from the warehouse service
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"

# the office reads Chinese; English stays one click away
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "us", "name": "English"},
}

# the warehouse connection is read-only at the role (hotline_reader); no one may add a SQLite
# connection, which would read files inside this container (Superset's own metadata among them)
PREVENT_UNSAFE_DB_CONNECTIONS = True
