"""The command line starts at once: only the command being run is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from limitlab.experiments import cli

HEAVY = ("numpy", "pandas", "pydantic", "matplotlib", "mesa", "numba", "pyarrow")


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import json, sys\n"
        "from limitlab.experiments.cli import build_parser\n"
        f"build_parser({argv!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_top_level_help_imports_no_subcommand_and_no_heavy_library():
    mods = _modules_after(["--help"])
    assert not {m for m in mods if m.split(".")[0] in HEAVY}, sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert not {module for module, _ in cli.COMMANDS.values()} & mods


def test_a_command_imports_only_its_own_module():
    mods = _modules_after(["risk", "--help"])
    assert "limitlab.experiments.risk" in mods
    assert "limitlab.experiments.report" not in mods
    assert "limitlab.experiments.cmd_sweep" not in mods


def test_the_lazy_help_lines_are_the_modules_own():
    """``limitlab --help`` lists each command with the help its module registers."""
    parser = cli.build_parser(None)  # every module registers its full parser
    sub = next(a for a in parser._actions if a.dest == "command")
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert registered == {name: help_text for name, (_, help_text) in cli.COMMANDS.items()}


def test_version_and_list(capsys):
    for argv, expect in ((["--version"], "limitlab "), (["list"], "baseline")):
        res = subprocess.run([sys.executable, "-m", "limitlab.experiments.cli", *argv],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert expect in res.stdout


def test_a_cold_kernel_cache_is_announced(tmp_path, capsys):
    """The first run on a machine compiles the kernels: the command says so before it waits."""
    from limitlab.experiments import outputs

    res = subprocess.run(
        [sys.executable, "-c", "from limitlab.experiments.outputs import say_if_compiling;"
                               "say_if_compiling(False)"],
        capture_output=True, text=True, env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert "compiling the model's kernels" in res.stderr
    assert outputs.compiled_kernels_cached()  # this checkout's cache exists: nothing is said
    outputs.say_if_compiling(False)
    assert capsys.readouterr().err == ""


def test_a_run_process_ending_at_once_has_said_and_written_everything(tmp_path):
    """``limitlab run`` ends its process without Python's teardown (cli.exit_at_once): its
    printed summary reaches a pipe, every file its manifest lists is there, and a refused
    --out still exits 2 with its one line."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "limitlab.experiments.cli", "run", "baseline", "--borrowers", "200",
           "--months", "3", "--set", "burn_in_months=0", "--no-events"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a buffered pipe
    done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"results: {out}")  # the last line printed, flushed
    listed = json.loads((out / "manifest.json").read_text())["files"]
    assert "monthly.parquet" in listed and all((out / f).is_file() for f in listed)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    refused = subprocess.run([*cmd, "--out", str(tmp_path / "full")], capture_output=True, text=True,
                             cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("limitlab: error: --out:")
    assert os.listdir(tmp_path / "full") == ["x"]
