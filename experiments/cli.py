"""The ``limitlab`` command line.

Subcommands live in their own modules, each exposing ``register(subparsers)`` that adds a
parser whose ``func(args) -> int`` does the work. Configuration errors are one line on
stderr and exit code 2, with nothing written; an operating-system error while writing (a
full disk) is one line and exit code 1, with no temporary file left behind.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from limitlab.model.config import ConfigError

# modules that add subcommands (each has ``register(subparsers)``)
SUBCOMMAND_MODULES = [
    "limitlab.experiments.cmd_run",
    "limitlab.experiments.cmd_sweep",
    "limitlab.experiments.cmd_demo",
    "limitlab.experiments.report",
    "limitlab.experiments.risk",
    "limitlab.experiments.validate",
    "limitlab.experiments.advice",
    "limitlab.experiments.diversification",
    "limitlab.experiments.frontier",
]


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="limitlab",
        description="Agent-based simulation of a credit line, its borrowers and its lender.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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


def default_out_dir(kind_root: str, name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("results") / name / f"{kind_root}{stamp}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
