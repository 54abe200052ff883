"""Output-identity check: a digest of every scenario's output tables at a small size.

    python -m tests.output_digest OUT.json              # run every scenario, write digests
    python -m tests.output_digest --compare A.json B.json  # exit 1 if any digest differs

Each scenario in ``experiments/scenarios/*.toml`` and ``experiments/scenarios/lessons/*.toml``
runs through :func:`limitlab.model.run.simulate` at ``--borrowers`` x ``--months`` (default
2,000 x 48; each scenario's own seed). Every table is hashed row for row from its data
(column names, column types and ``pandas.util.hash_pandas_object`` of the values), not from
file bytes, and the run's summary outcomes are hashed from their exact float values: a
change of structure that keeps the outputs gives the same digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
from limitlab.experiments.catalog import load_scenario  # a scenario's base chain resolved
from limitlab.model.run import simulate

SCENARIOS = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"


def scenario_paths() -> list[Path]:
    return sorted(SCENARIOS.glob("*.toml")) + sorted((SCENARIOS / "lessons").glob("*.toml"))


def table_digest(table: pd.DataFrame | pa.Table) -> str:
    """Hash of a table's columns, types and values, row for row (index ignored)."""
    frame = table.to_pandas() if isinstance(table, pa.Table) else table
    h = hashlib.sha256()
    h.update(json.dumps([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(struct.pack("<q", len(frame)))
    for name in frame.columns:
        col = frame[name].reset_index(drop=True)
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)  # values, not codes: same text gives the same hash
        h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    return h.hexdigest()


def summary_digest(summary: dict[str, float]) -> str:
    h = hashlib.sha256()
    for key in sorted(summary):
        h.update(key.encode())
        h.update(struct.pack("<d", float(summary[key])))
    return h.hexdigest()


def digest_all(borrowers: int, months: int) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in scenario_paths():
        cfg = load_scenario(path, {"population.borrowers": borrowers, "months": months})
        result = simulate(cfg)
        digests = {name: table_digest(t) for name, t in sorted(result.tables.items())}
        digests["summary"] = summary_digest(result.summary)
        out[str(path.relative_to(SCENARIOS))] = digests
        print(f"{path.name}: {len(result.tables)} tables", file=sys.stderr)
    return out


def compare(a: dict, b: dict) -> list[str]:
    diffs = []
    for scen in sorted(set(a) | set(b)):
        ta, tb = a.get(scen, {}), b.get(scen, {})
        for name in sorted(set(ta) | set(tb)):
            if ta.get(name) != tb.get(name):
                diffs.append(f"{scen}: {name}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.output_digest", description=__doc__.split("\n")[0])
    p.add_argument("out", nargs="?", help="write the digests to this JSON file")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two digest files")
    p.add_argument("--borrowers", type=int, default=2000)
    p.add_argument("--months", type=int, default=48)
    args = p.parse_args(argv)
    if args.compare:
        a, b = (json.loads(Path(f).read_text()) for f in args.compare)
        diffs = compare(a["scenarios"], b["scenarios"])
        for d in diffs:
            print(f"differs: {d}")
        print("identical" if not diffs else f"{len(diffs)} digests differ")
        return 1 if diffs else 0
    if not args.out:
        p.error("give OUT.json or --compare A B")
    data = {"borrowers": args.borrowers, "months": args.months,
            "scenarios": digest_all(args.borrowers, args.months)}
    Path(args.out).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
