"""``limitlab compare DIR_A DIR_B [...]``: scenarios side by side, with paired differences.

Each directory is a batch (``limitlab batch``). The first is the reference; every other is
compared with it outcome by outcome. When two batches ran the same seeds (the same root seed
and replicate numbers: common random numbers), runs are paired by seed and the difference is
the mean of the per-seed differences with its 95% t-interval, which removes the variation the
two scenarios share. Batches with different seeds are compared unpaired (Welch's interval), and
the table says so.

Writes ``compare.html`` (the report's page style) and ``differences.csv`` into ``--out``.
"""

from __future__ import annotations

import argparse
import io
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, _, language
from limitlab.model.errors import ConfigError
from limitlab.model.stats import mean_ci

SERIES = (  # monthly panels drawn side by side: column, title, unit
    ("outstanding", N_("Outstanding balance"), "money"),
    ("total_limit", N_("Total limit of open lines"), "money"),
    ("default_rate", N_("Default rate (per month)"), "percent"),
    ("utilisation", N_("Utilisation"), "percent"),
)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
SEED_COLUMNS = ("seed_entropy", "seed_spawn_key")
HOW = {"paired": N_("paired"), "unpaired": N_("unpaired")}  # differences.csv keeps the keys


def _welch(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    from scipy.special import stdtrit

    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    d = float(b.mean() - a.mean()) if a.size and b.size else math.nan
    if a.size < 2 or b.size < 2:
        return d, math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stdtrit(dof, 0.5 + level / 2)) * se
    return d, d - half, d + half


def paired_runs(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame | None:
    """Runs of ``a`` and ``b`` joined on their seed (suffixes ``_a``/``_b``), or None when
    the two batches share no seed."""
    if not all(c in a and c in b for c in SEED_COLUMNS):
        return None
    key = [*SEED_COLUMNS]
    left = a.assign(**{c: a[c].astype(str) for c in key})
    right = b.assign(**{c: b[c].astype(str) for c in key})
    joined = left.merge(right, on=key, suffixes=("_a", "_b"))
    return joined if len(joined) else None


def differences(a: pd.DataFrame, b: pd.DataFrame, outcomes) -> pd.DataFrame:
    """One row per outcome: both means, the difference ``b - a`` with its 95% interval
    (paired by seed where the batches share seeds), the relative difference, and how many
    runs or pairs it rests on."""
    from limitlab.experiments.outcomes import kind_of

    pairs = paired_runs(a, b)
    rows = []
    for o in outcomes:
        if o not in a or o not in b:
            continue
        xa, xb = a[o].to_numpy(float), b[o].to_numpy(float)
        if not (np.isfinite(xa).any() and np.isfinite(xb).any()):
            continue  # not measured in these runs (e.g. score AUC in runs too short for it)
        ma, mb = float(np.nanmean(xa)), float(np.nanmean(xb))
        if pairs is not None:
            d = pairs[f"{o}_b"].to_numpy(float) - pairs[f"{o}_a"].to_numpy(float)
            diff, lo, hi = mean_ci(d)
            n, how = int(np.isfinite(d).sum()), "paired"
        else:
            diff, lo, hi = _welch(xa, xb)
            n, how = min(int(np.isfinite(xa).sum()), int(np.isfinite(xb).sum())), "unpaired"
        rows.append({"outcome": o, "kind": kind_of(o), "mean_a": ma, "mean_b": mb,
                     "difference": diff, "ci_low": lo, "ci_high": hi,
                     "relative": diff / abs(ma) if ma else math.nan,
                     "significant": bool(math.isfinite(lo) and (lo > 0 or hi < 0)),
                     "comparison": how, "n": n})
    return pd.DataFrame(rows)


def differing_parameters(a: dict | None, b: dict | None) -> list[tuple[str, object, object]]:
    """``(key, value in a, value in b)`` for every parameter two resolved configurations
    set differently (name and description aside)."""
    from limitlab.experiments.report_scenario import _flatten

    fa, fb = _flatten(a or {}), _flatten(b or {})
    return [(k, fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb))
            if k not in ("name", "description") and fa.get(k) != fb.get(k)]


def config_warnings(results, names) -> list[str]:
    """Warnings for the page and stderr: batches from another limitlab version (than each
    other or this one), and batches whose configuration hashes differ (what differs is
    listed under each comparison)."""
    from limitlab.experiments.results import current_version, recorded_hash

    out = []
    versions = {str((r.manifest.get("versions") or {}).get("limitlab")) for r in results}
    now = current_version()
    if len(versions) > 1:
        out.append(_("the batches come from different limitlab versions ({versions})").format(
            versions=", ".join(sorted(versions))))
    elif versions and next(iter(versions)) not in (now, "None"):
        out.append(_("the batches were written by limitlab {then}; this is {now}").format(
            then=next(iter(versions)), now=now))
    hashes = [recorded_hash(r.manifest) for r in results]
    if len({h for h in hashes}) > 1:
        ref = results[0].manifest.get("config")
        counts = [len(differing_parameters(ref, r.manifest.get("config"))) for r in results[1:]]
        out.append(_("the batches' configurations differ (config hashes {hashes}): {counts} "
                     "parameters against {reference}, listed under each comparison; check that "
                     "only what you meant to compare differs").format(
            hashes=", ".join(f"{n} {h or _('unknown')}" for n, h in zip(names, hashes)),
            counts=", ".join(str(c) for c in counts), reference=names[0]))
    return out


def _differing_html(ref, other, name_a: str, name_b: str) -> list[str]:
    from limitlab.experiments.pages import html_table
    from limitlab.experiments.report_scenario import _param_cell

    rows = differing_parameters(ref.manifest.get("config"), other.manifest.get("config"))
    if not rows:
        return ["<p>" + _("The two configurations are the same (apart from name and "
                          "description).") + "</p>"]
    return ["<h3>" + _("Parameters that differ") + "</h3>",
            html_table([_("parameter"), name_a, name_b],
                       [[k, _param_cell(a), _param_cell(b)] for k, a, b in rows], "params")]


def _series_figure(results, names, dpi: int) -> bytes:
    buf = io.BytesIO()
    series_figure(results, names).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def series_figure(results, names):
    """The monthly panels (:data:`SERIES`) of every batch side by side: medians across
    replicates with their 5–95% bands, one colour per batch."""
    from limitlab.experiments import plots

    fig, axes = plots.new_figure(figsize=(12.0, 7.0), nrows=2, ncols=2)
    for ax, (col, title, unit) in zip(axes.ravel(), SERIES):
        drawn = [(plots.across_runs(plots.portfolio_rows(res.table("monthly")), "month", col),
                  name, colour)
                 for res, name, colour in zip(results, names, COLOURS)
                 if res.table("monthly") is not None and col in res.table("monthly")]
        # one scale for every batch on the axes (chosen from all of them)
        if unit == "money" and drawn:
            scale, label = plots.money_unit(
                np.concatenate([st[["lo", "hi", "median"]].to_numpy() for st, _n, _c in drawn]))
        else:
            scale, label = (0.01, "%") if unit == "percent" else (1.0, "")
        for stats, name, colour in drawn:
            plots._band_line(ax, stats.index.to_numpy(), stats, scale=scale, color=colour,
                             label=name)
        ax.set_title(_(title), fontsize="medium")
        ax.set_xlabel(_("month"))
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="best")
    fig.suptitle(_("Median across replicates, 5–95% band"), fontsize="medium")
    return fig


def build_compare(dirs: list[Path], out: Path, *, dpi: int = 100,
                  lang: str = DEFAULT_LANGUAGE) -> Path:
    """Compare the batches in ``dirs`` (the first is the reference) into ``out``, with every
    heading, sentence, table label and figure text in ``lang`` ("en" or "zh"; the figures
    then draw with the CJK font of :mod:`limitlab.experiments.fonts`).

    Raises:
        ConfigError: a directory is not a batch with successful runs.
        ValueError: ``lang`` has no catalogue.
    """
    import matplotlib

    with language(lang), matplotlib.rc_context():
        if lang != DEFAULT_LANGUAGE:
            from limitlab.experiments.fonts import require_cjk_font

            require_cjk_font()  # Chinese figure text, not empty boxes
        return _build_compare(dirs, out, dpi=dpi)


def _build_compare(dirs: list[Path], out: Path, *, dpi: int) -> Path:
    from limitlab.experiments.outcomes import fmt, fmt_interval, label_of
    from limitlab.experiments.pages import Section, html_table, render_html
    from limitlab.experiments.report import KEY_OUTCOMES
    from limitlab.experiments.results import load_results

    results = [load_results(d) for d in dirs]
    for d, res in zip(dirs, results):
        if res.kind != "batch":
            raise ConfigError(f"{str(d)!r}: a {res.kind} directory; compare takes batches "
                              "(limitlab batch SCENARIO --out DIR)")
    names = [str(r.manifest.get("scenario") or d.name) for r, d in zip(results, dirs)]
    if len(set(names)) < len(names):
        names = [f"{n} ({d.name})" for n, d in zip(names, dirs)]
    warnings = config_warnings(results, names)
    frames, sections = [], []
    for res, name in zip(results[1:], names[1:]):
        diff = differences(results[0].runs, res.runs, KEY_OUTCOMES)
        frames.append(diff.assign(scenario_a=names[0], scenario_b=name))
        rows = []
        for r in diff.itertuples():
            ci = fmt_interval(r.ci_low, r.ci_high, r.kind, difference=True)
            rows.append([label_of(r.outcome), fmt(r.mean_a, r.kind), fmt(r.mean_b, r.kind),
                         fmt(r.difference, r.kind, difference=True), ci,
                         _("yes") if r.significant else _("no"),
                         f"{_(HOW[r.comparison]) if r.comparison in HOW else r.comparison}, n={r.n}"])
        how = diff["comparison"].iloc[0] if len(diff) else "paired"
        note = (_("Runs are paired by seed (common random numbers): the interval is that of the "
                  "mean per-seed difference.") if how == "paired" else
                _("The batches ran different seeds: unpaired comparison (Welch's interval). Run "
                  "both with the same --seed and --replicates to pair them."))
        sections.append(Section(_("{name} against {reference}").format(name=name, reference=names[0]), [
            "<p>" + note + _(" Difference = {name} − {reference}; 95% confidence intervals.").format(
                name=name, reference=names[0]) + "</p>",
            html_table([_("outcome"), names[0], name, _("difference"), _("95% CI"), _("CI excludes 0"),
                        _("comparison")], rows),
            *_differing_html(results[0], res, names[0], name)]))
    table = pd.concat(frames, ignore_index=True)
    images = {"series": _series_figure(results, names, dpi)}
    sections.append(Section(_("Over time"), figures=[(
        "series", _("Each scenario's median across replicates by month, with its 5–95% band."),
        None)]))
    summary = []
    for name in names[1:]:
        sig = table[(table["scenario_b"] == name) & table["significant"]]
        words = ", ".join(
            f"{label_of(o)} {fmt(d, k, difference=True)}"
            for o, d, k in zip(sig["outcome"], sig["difference"], sig["kind"])) or _("none")
        summary.append(_("{name} against {reference}: outcomes whose 95% interval excludes zero: "
                         "{words}.").format(name=name, reference=names[0], words=words))
    meta = " · ".join(_("{name}: {path} ({n} runs)").format(name=n, path=d.resolve(), n=len(r.runs))
                      for n, d, r in zip(names, dirs, results)) + _(" · built {time}").format(
        time=time.strftime('%Y-%m-%d %H:%M'))
    page = render_html(_("limitlab comparison: {names}").format(names=_(" vs ").join(names)), meta,
                       summary, sections, images,
                       warnings)
    out.mkdir(parents=True, exist_ok=True)
    for fname, text in (("differences.csv", table.to_csv(index=False)), ("compare.html", page)):
        tmp = out / f".{fname}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out / fname)
    from limitlab.experiments.results import warn

    for w in warnings:
        warn(w)
    return out / "compare.html"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare batches side by side, with paired differences",
                       description="Compare two or more batches (the first is the reference): "
                                   "every key outcome's difference with its 95% interval, "
                                   "paired by seed when the batches share seeds.")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="batch directories (at least two)")
    p.add_argument("--out", default=None,
                   help="output directory (default: results/compare/A-vs-B)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace compare.html and differences.csv if --out holds them")
    p.add_argument("--dpi", type=int, default=100, help="figure resolution (50-300)")
    p.add_argument("--lang", default=DEFAULT_LANGUAGE, metavar="|".join(LANGUAGES),
                   help="the page's language: en (English, the default) or zh (简体中文: "
                        "headings, sentences, tables and figure text in Simplified Chinese)")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    dirs = [Path(d) for d in args.dirs]
    if len(dirs) < 2:
        raise ConfigError(f"DIR: {len(dirs)} given — at least two batch directories (the first "
                          "is the reference)")
    if not 50 <= args.dpi <= 300:
        raise ConfigError(f"--dpi: {args.dpi} — an integer from 50 to 300")
    from limitlab.experiments.report import check_lang

    check_lang(args.lang)
    for d in dirs:
        if not (d / "runs.parquet").is_file():
            raise ConfigError(f"{str(d)!r}: not a batch directory (no runs.parquet)")
    out = Path(args.out) if args.out else Path("results") / "compare" / "-vs-".join(d.name for d in dirs)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r}: exists and is not a directory")
    mine = [out / "compare.html", out / "differences.csv"]
    if any(f.exists() for f in mine) and not args.overwrite:
        raise ConfigError(f"--out {str(out)!r}: already holds a comparison; add --overwrite to replace it")
    path = build_compare(dirs, out, dpi=args.dpi, lang=args.lang)
    print(f"comparison: {path}")
    return 0
