"""The walkthrough notebook runs from top to bottom (nbclient, the project's own Python) and
writes nothing into the repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "walkthrough.ipynb"

pytestmark = pytest.mark.timeout(300)


def _repository_state() -> str:
    """Every changed or untracked file of the work tree (ignored files included)."""
    done = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip("not a git work tree: cannot check that the notebook writes nothing")
    return "\n".join(line for line in done.stdout.splitlines()
                     if "__pycache__" not in line and ".pytest_cache" not in line
                     and "test-artifacts" not in line and ".hypothesis" not in line)


def kernel_of_this_interpreter(folder: Path) -> str:
    """A kernel spec (in ``folder``, put on JUPYTER_PATH) that runs this very Python."""
    spec = folder / "kernels" / "limitlab-test"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "limitlab (tests)", "language": "python",
    }))
    return "limitlab-test"


def test_the_walkthrough_notebook_runs_and_writes_nothing_into_the_repository(
        tmp_path, monkeypatch):
    import nbclient
    import nbformat

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernel = kernel_of_this_interpreter(tmp_path / "jupyter")
    work = tmp_path / "work"
    work.mkdir()

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "the notebook is kept without outputs")
    before = _repository_state()
    client = nbclient.NotebookClient(
        notebook, timeout=240, kernel_name=kernel,
        resources={"metadata": {"path": str(work)}},  # the kernel's working directory
    )
    client.execute()
    assert _repository_state() == before
    shown = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in notebook.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "lender__monitoring__sensitivity" in shown  # mesa.batch_run's table
    assert "closure_rate" in shown  # limitlab's own batch
