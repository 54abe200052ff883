"""``limitlab summary DIR``: the key outcomes of a run, batch or sweep, without a browser.

A run directory's outcomes come from its ``manifest.json``; a batch's or sweep's from
``runs.parquet`` (one row per run): the mean across replicates with its 95% t-interval, per
design point for a sweep. Text for the terminal, Markdown or CSV for documents and scripts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from limitlab.experiments.i18n import DEFAULT_LANGUAGE, LANGUAGES, _, language, pgettext
from limitlab.experiments.outcomes import fmt, fmt_interval, kind_of, label_of

# the key outcomes, in order (labels and kinds: limitlab.experiments.outcomes)
KEY_OUTCOMES = (
    "annualised_default_rate", "loss_rate", "mean_utilisation", "closure_rate",
    "reopened_lower_share", "unmet_demand_share", "false_alarm_share", "mean_score_auc",
    "final_total_limit", "final_outstanding", "net_income",
)
OUTCOMES = tuple((key, label_of(key), kind_of(key)) for key in KEY_OUTCOMES)  # English labels


def _outcomes() -> tuple[tuple[str, str, str], ...]:
    """(key, label, kind) of the key outcomes, labels in the current language."""
    return tuple((key, label_of(key), kind_of(key)) for key in KEY_OUTCOMES)
SWEEP_OUTCOMES = ("annualised_default_rate", "loss_rate", "closure_rate", "unmet_demand_share")


def _ci(values, kind: str) -> dict[str, Any]:
    from limitlab.model.stats import mean_ci

    m, lo, hi = mean_ci(values, bounded=kind == "share")
    return {"mean": m, "low": lo, "high": hi}


def summarise_dir(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """(kind of directory, rows): a run's rows have ``value``; a batch's and a sweep's have
    ``mean``, ``low``, ``high`` and ``runs`` (a sweep's also ``point`` and its axis values).

    Raises:
        ConfigError: not a limitlab results directory, or its files are unreadable.
    """
    from limitlab.model.errors import ConfigError

    manifest_path = path / "manifest.json"
    if not path.is_dir() or not manifest_path.is_file():
        raise ConfigError(f"{str(path)!r}: not a limitlab run, batch or sweep directory "
                          "(no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{str(manifest_path)!r}: unreadable ({exc.__class__.__name__})") from None
    if not (path / "runs.parquet").exists():  # a single run
        summary = manifest.get("summary") or {}
        return "run", [{"outcome": key, "label": label, "kind": kind, "value": summary.get(key)}
                       for key, label, kind in _outcomes() if key in summary]
    import pandas as pd

    try:
        runs = pd.read_parquet(path / "runs.parquet")
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ConfigError(f"{str(path / 'runs.parquet')!r}: unreadable ({exc.__class__.__name__})") from None
    if "status" in runs:
        runs = runs[runs["status"] == "ok"]
    kind_of_dir = manifest.get("kind", "batch")
    # outcomes the runs measured (e.g. false alarms only with a twin run, AUC only when scored)
    outcomes = [o for o in _outcomes() if o[0] in runs and runs[o[0]].notna().any()]
    if kind_of_dir != "sweep" or runs["point"].nunique() <= 1:
        return "batch", [{"outcome": key, "label": label, "kind": kind, "runs": int(runs[key].notna().sum()),
                          **_ci(runs[key], kind)} for key, label, kind in outcomes]
    design = pd.read_parquet(path / "design.parquet") if (path / "design.parquet").exists() else None
    rows = []
    for point, group in runs.groupby("point", sort=True):
        axes = {}
        if design is not None and "point" in design:
            match = design[design["point"] == point]
            if len(match):
                axes = {k: v for k, v in match.iloc[0].items() if k != "point"}
        for key, label, kind in outcomes:
            if key in SWEEP_OUTCOMES:
                rows.append({"point": int(point), **axes, "outcome": key, "label": label,
                             "kind": kind, "runs": int(group[key].notna().sum()),
                             **_ci(group[key], kind)})
    return "sweep", rows


def render(kind_of_dir: str, rows: list[dict[str, Any]], fmt_name: str) -> str:
    """``text``, ``markdown`` or ``csv``."""
    if fmt_name == "csv":
        import csv
        import io

        buf = io.StringIO()
        cols = list(dict.fromkeys(k for r in rows for k in r))
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    if kind_of_dir == "run":
        head = [_("outcome"), _("value")]
        body = [[r["label"], fmt(r["value"], r["kind"])] for r in rows]
    else:
        axes = [k for k in (rows[0] if rows else {}) if k not in
                ("point", "outcome", "label", "kind", "runs", "mean", "low", "high")]
        head = (([_("point"), *axes] if kind_of_dir == "sweep" else [])
                + [_("outcome"), _("mean"), _("95% CI"), pgettext("column", "runs")])
        body = []
        for r in rows:
            ci = (fmt_interval(r["low"], r["high"], r["kind"]) if math.isfinite(r["low"])
                  else _("not measured") if r["runs"] == 0 else _("n/a (1 run)"))
            lead = [str(r["point"]), *(f"{r[a]:.4g}" if isinstance(r[a], float) else str(r[a])
                                       for a in axes)] if kind_of_dir == "sweep" else []
            body.append([*lead, r["label"], fmt(r["mean"], r["kind"]), ci, str(r["runs"])])
    if fmt_name == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    width = _display_width
    widths = [max(width(x) for x in col) for col in zip(head, *body)]
    right = [i for i, h in enumerate(head)
             if h in (_("value"), _("mean"), _("95% CI"), pgettext("column", "runs"))]

    def pad(c: str, w: int, left: bool) -> str:
        fill = " " * (w - width(c))
        return fill + c if left else c + fill

    def line(cells):
        return "  ".join(pad(c, w, i in right)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)]) + "\n"


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters (East Asian wide or
    full-width) take two, so the Chinese table's columns line up."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help="print the key outcomes of a run, batch or sweep",
                       description="Print the key outcomes of a results directory: a run's "
                                   "values, or a batch's (per point for a sweep) means with "
                                   "95% confidence intervals across replicates.")
    p.add_argument("results_dir", help="a run, batch or sweep directory")
    p.add_argument("--format", choices=("text", "markdown", "csv"), default="text")
    p.add_argument("--lang", default=DEFAULT_LANGUAGE, metavar="|".join(LANGUAGES),
                   help="the language of the labels and headers: en (English, the default) or "
                        "zh (简体中文)")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from limitlab.model.errors import ConfigError

    if args.lang not in LANGUAGES:
        raise ConfigError(f"--lang: {args.lang} — choose one of: {', '.join(LANGUAGES)}")
    with language(args.lang):
        kind_of_dir, rows = summarise_dir(Path(args.results_dir))
        sys.stdout.write(render(kind_of_dir, rows, args.format))
    return 0
