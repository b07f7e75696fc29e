# One image for every compose service: the repo plus its locked environment, built by the
# Makefile's own `setup` target so the container runs exactly what `make setup` gives a laptop.
FROM python:3.11-slim

# make drives setup and run; nothing else is needed from apt (every locked package ships wheels)
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*

# run as a plain user; /data is created and owned here so a new named volume inherits the owner
RUN useradd --create-home --uid 1000 hotline \
    && mkdir -p /app /data \
    && chown hotline:hotline /app /data
USER hotline
WORKDIR /app

COPY --chown=hotline:hotline . .
# bootstraps uv (pinned in the Makefile) into .tools/ and runs `uv sync --frozen` into .venv;
# the download caches are dropped so they do not bloat the layer
RUN make setup \
    && rm -rf "$HOME/.cache"

# everything the pipeline and Airflow write (landing, warehouse, publication, Airflow's SQLite)
# goes under HOTLINE_DATA_DIR; Airflow standalone starts its components as `airflow` from PATH
ENV HOTLINE_DATA_DIR=/data \
    PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]

# Airflow's api-server (UI and REST API)
EXPOSE 8080
CMD ["scripts/airflow.sh", "standalone"]
