"""Reads exports, maps them through source profiles, masks personal data, lands rows in `raw`."""
