from __future__ import annotations


class PipelineError(Exception):
    """A problem a user can fix: a bad file, a missing column, a wrong setting, a failed gate.

    The message is one line naming the file, row or setting and what to do; the CLI and the
    DAG tasks print it as it is, without a traceback.
    """
