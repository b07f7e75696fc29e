"""Pipeline steps, settings and the command line: one definition of each step for the DAGs, the CLI and the tests."""
