"""Airflow's metadata database made ready for the DAGs: migrated, with the warehouse_writes pool.

`scripts/airflow.sh` runs this (`python -m pipeline.airflow_metadata`) before `start`, in the
compose stack's `init`, and on the first use of the SQLite default. One process does both: each
`airflow` command imports Airflow again (about 3 s of CPU), and this used to take three
(`db migrate`, `pools get`, `pools set`).
"""

from __future__ import annotations

POOL_DESCRIPTION = "DuckDB allows one writer"


def main() -> None:
    import sys

    from airflow.__main__ import main as airflow
    from airflow.models.pool import Pool

    from pipeline.dag_parts import WAREHOUSE_POOL

    # `airflow db migrate` through Airflow's own entry point: on first use it also writes
    # airflow.cfg with the generated secrets every component must share (the api-server rejects
    # the tokens of a scheduler that made up its own)
    sys.argv = ["airflow", "db", "migrate"]
    airflow()
    # a pool an operator resized is left as it is
    if Pool.get_pool(WAREHOUSE_POOL) is None:
        Pool.create_or_update_pool(WAREHOUSE_POOL, slots=1, description=POOL_DESCRIPTION, include_deferred=False)
        print(f"pool {WAREHOUSE_POOL} created (1 slot)")


if __name__ == "__main__":
    main()
