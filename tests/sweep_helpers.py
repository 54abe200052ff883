"""Model functions for the sweep tests (run through the real runner, in real workers).

``flaky`` behaves like the credit model (or Ishigami without a scenario) but raises inside
the worker for design point 1 while the file :data:`FAIL_MARKER` exists, so a test can make
runs fail and then let ``--retry-failed`` succeed. The marker's path travels in an
environment variable set at import, before any worker process (or forkserver) starts.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from limitlab.experiments.sweep import RunTask, credit_model, ishigami

FAIL_MARKER_ENV = "LIMITLAB_TEST_FAIL_MARKER"
FAIL_MARKER = Path(os.environ.setdefault(
    FAIL_MARKER_ENV, str(Path(tempfile.gettempdir()) / f"limitlab-test-fail-{os.getpid()}")
))


def flaky(task: RunTask):
    """The credit model (Ishigami without a base scenario), failing at point 1 on demand."""
    if task.point == 1 and Path(os.environ[FAIL_MARKER_ENV]).exists():
        raise RuntimeError(f"made to fail: {task.run_id}")
    return credit_model(task) if task.base is not None else ishigami(task)
