"""The ``limitlab`` command line.

Subcommands live in their own modules, each exposing ``register(subparsers)`` that adds a
parser whose ``func(args) -> int`` does the work. Only the module of the command being run is
imported (``limitlab --help`` imports none of them), so the command line starts at once.
Configuration errors are one line on stderr and exit code 2, with nothing written; an
operating-system error while writing (a full disk) is one line and exit code 1, with no
temporary file left behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from limitlab.model.errors import ConfigError

# Each subcommand: the module whose ``register(subparsers)`` adds it, and its one-line help for
# ``limitlab --help`` (tests/test_cli.py checks it against the module's own parser).
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("limitlab.experiments.cmd_run", "run one scenario"),
    "batch": ("limitlab.experiments.cmd_sweep", "replicates of one scenario"),
    "sweep": ("limitlab.experiments.cmd_sweep",
              "a grid, Latin hypercube, Sobol or Morris design over parameters"),
    "report": ("limitlab.experiments.report",
               "write a self-contained HTML report of a run, batch or sweep"),
    "risk": ("limitlab.experiments.risk",
             "loss distribution and credit-risk tables of a batch or sweep"),
    "validate": ("limitlab.experiments.validate",
                 "check the model against closed-form credit-risk results"),
    "advice": ("limitlab.experiments.advice", "test the article's advice to restricted borrowers"),
    "diversification": ("limitlab.experiments.diversification",
                        "single-channel vs diversified small businesses under shocks"),
    "frontier": ("limitlab.experiments.frontier", "experience-vs-risk frontier of a sweep"),
    "robustness": ("limitlab.experiments.robustness",
                   "re-run each headline finding across its structural assumptions"),
    "demo": ("limitlab.experiments.cmd_demo", "start the classroom demo in the browser"),
    "bench": ("limitlab.experiments.cmd_run", "borrower-months per second of the monthly loop"),
    "list": ("limitlab.experiments.catalog", "list the shipped scenarios and sweeps"),
    "compare": ("limitlab.experiments.compare",
                "compare batches side by side, with paired differences"),
    "summary": ("limitlab.experiments.summary", "print the key outcomes of a run, batch or sweep"),
    "params": ("limitlab.experiments.params",
               "list every parameter with its default, bounds and help"),
    "fit-scorecard": ("limitlab.experiments.fit_scorecard",
                      "fit the scorecard's weights on simulated data"),
    "judge": ("limitlab.experiments.judge",
              "each restrictive rule's precision against a random policy (twin runs)"),
    "calibrate": ("limitlab.experiments.calibration.command",
                  "fit levers to published targets (ABC-SMC posterior)"),
}


def add_run_options(p: argparse.ArgumentParser, *, out_help: str = "output directory") -> None:
    """Options shared by ``run``, ``batch`` and ``sweep``."""
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--months", type=int, default=None, help="simulated months")
    p.add_argument("--borrowers", type=int, default=None, help="initial applicants")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a parameter by dotted key, e.g. lender.review.period_months=6",
    )
    p.add_argument("--out", default=None, help=out_help)


def overrides_from_args(args: argparse.Namespace) -> dict:
    """Dotted-key overrides from ``--set`` plus the --seed/--months/--borrowers shortcuts."""
    from limitlab.model.config import parse_set_options

    ov = parse_set_options(args.overrides)
    if getattr(args, "seed", None) is not None:
        ov["seed"] = args.seed
    if getattr(args, "months", None) is not None:
        ov["months"] = args.months
    if getattr(args, "borrowers", None) is not None:
        ov["population.borrowers"] = args.borrowers
    return ov


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of the command named in ``argv`` is imported and registers
    its full parser (``None``: every module, e.g. to inspect every command's options)."""
    parser = argparse.ArgumentParser(
        prog="limitlab",
        description="Agent-based simulation of a credit line, its borrowers and its lender.",
    )
    if "--version" in (argv or []):
        import limitlab

        parser.add_argument("--version", action="version", version=f"limitlab {limitlab.__version__}")
    else:  # listed in the help; the installed metadata is read only when asked for
        parser.add_argument("--version", action="store_true", help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    words = [a for a in (argv or []) if not a.startswith("-")]
    wanted = {COMMANDS[words[0]][0]} if words and words[0] in COMMANDS else set()
    if argv is None:
        wanted = {module for module, _ in COMMANDS.values()}
    for name, (module, help_text) in COMMANDS.items():
        if name in sub.choices:
            continue  # registered by its module along with another command
        if module in wanted:
            importlib.import_module(module).register(sub)
            wanted.discard(module)
        if name not in sub.choices:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (default: this process's command line) and return its exit
    code; as the process's own command line, a command that asks for it (``limitlab run``)
    ends the process at once (:func:`exit_at_once`)."""
    program = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    code = run_command(args)
    if program and getattr(args, "exit_at_once", False):
        exit_at_once(code)
    return code


def exit_at_once(code: int) -> None:
    """End the process now with ``code``, its output flushed, without Python's teardown of
    every module's objects (numba's and LLVM's compiled code, pandas, scipy...): after a
    ``limitlab run`` of 10,000 borrowers that teardown costs ~0.3-0.6 s of CPU, for memory the
    operating system reclaims at once. Only for commands whose work is complete when they
    return: every file written and closed, no worker process or thread to wait for, nothing
    left for an exit handler to do."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            pass
    os._exit(code)


def run_command(args: argparse.Namespace) -> int:
    """The parsed command's exit code; the errors a user can cause are one line on stderr."""
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"limitlab: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # a full disk, a vanished directory...: one line, temporary files already removed
        from limitlab.experiments.fileio import describe_os_error

        print(f"limitlab: error: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except MemoryError:
        print("limitlab: error: out of memory — make the design, --replicates or --borrowers "
              "smaller", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("limitlab: interrupted", file=sys.stderr)
        return 130
    except SystemError as exc:
        # Ctrl-C that lands while a compiled kernel returns reaches Python as a SystemError
        # whose cause is the KeyboardInterrupt
        if not isinstance(exc.__cause__, KeyboardInterrupt):
            raise
        print("limitlab: interrupted", file=sys.stderr)
        return 130


def default_out_dir(kind_root: str, name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("results") / name / f"{kind_root}{stamp}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
