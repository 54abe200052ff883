"""What a calibration writes: the posterior table, the fit of each target, the calibrated
scenario (TOML, with its provenance) and the report page."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd
from limitlab.experiments.calibration.smc import Lever
from limitlab.experiments.calibration.targets import MEASURES, Target
from limitlab.experiments.pages import Section, fmt_ci, fmt_value, html_table, render_html

LOW_Q, HIGH_Q = 0.05, 0.95  # the posterior intervals: 90%
MISS_Z = 2.0  # a target is missed when the model's posterior median is over 2 uncertainties off


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``x`` with weights ``w`` (inverse of the weighted CDF)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    ok = np.isfinite(x)
    x, w = x[ok], w[ok]
    if not len(x) or w.sum() <= 0:
        return math.nan
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cdf = np.cumsum(w) / w.sum()
    return float(x[min(np.searchsorted(cdf, q, side="left"), len(x) - 1)])


def posterior_table(history, levers: list[Lever], targets: list[Target]) -> pd.DataFrame:
    """Every generation's particles: generation, particle, weight, distance, each lever (by
    its dotted key) and each target's model value (``model:<target>``)."""
    rows = []
    for t in range(int(history.max_t) + 1):
        for i, p in enumerate(history.get_population(t).particles):
            row: dict[str, Any] = {"generation": t, "particle": i, "weight": float(p.weight),
                                   "distance": float(p.distance)}
            for lv in levers:
                row[lv.key] = lv.value(float(p.parameter[lv.name]))
            for tg in targets:
                row[f"model:{tg.name}"] = float(p.sum_stat[tg.name])
            rows.append(row)
    return pd.DataFrame(rows)


def generations_table(history) -> pd.DataFrame:
    """Thresholds and simulation counts; generation -1 is the prior sample behind the first
    threshold."""
    pops = history.get_all_populations()
    return pd.DataFrame({"generation": pops["t"].astype(int).to_numpy(),
                         "epsilon": pops["epsilon"].astype(float).to_numpy(),
                         "simulations": pops["samples"].astype(int).to_numpy()})


def _final(posterior: pd.DataFrame) -> pd.DataFrame:
    return posterior[posterior["generation"] == posterior["generation"].max()]


def lever_summary(posterior: pd.DataFrame, levers: list[Lever]) -> pd.DataFrame:
    last = _final(posterior)
    w = last["weight"].to_numpy()
    rows = []
    for lv in levers:
        x = last[lv.key].to_numpy(dtype=float)
        rows.append({"lever": lv.key, "prior_low": lv.low, "prior_high": lv.high,
                     "mean": float(np.average(x, weights=w)),
                     "median": weighted_quantile(x, w, 0.5),
                     "q05": weighted_quantile(x, w, LOW_Q), "q95": weighted_quantile(x, w, HIGH_Q)})
    return pd.DataFrame(rows)


def fit_table(posterior: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Each target against the model's values over the final posterior (posterior predictive)."""
    last = _final(posterior)
    w = last["weight"].to_numpy()
    rows = []
    for t in targets:
        x = last[f"model:{t.name}"].to_numpy(dtype=float)
        med = weighted_quantile(x, w, 0.5)
        z = (med - t.value) / t.uncertainty
        rows.append({"target": t.name, "segment": t.segment, "measure": t.measure,
                     "value": t.value, "uncertainty": t.uncertainty, "model_median": med,
                     "model_q05": weighted_quantile(x, w, LOW_Q),
                     "model_q95": weighted_quantile(x, w, HIGH_Q), "z": float(z),
                     "missed": bool(not math.isfinite(z) or abs(z) > MISS_Z)})
    return pd.DataFrame(rows)


def calibrated_values(summary: pd.DataFrame, levers: list[Lever]) -> dict[str, float | int]:
    """The scenario's lever values: each lever's posterior median."""
    med = dict(zip(summary["lever"], summary["median"]))
    return {lv.key: lv.value(med[lv.key]) for lv in levers}


def scenario_toml(data: dict[str, Any], provenance: dict[str, Any], summary: pd.DataFrame) -> str:
    """The calibrated scenario as TOML text, its provenance in the leading comments."""
    import tomli_w

    lines = [
        "# Calibrated scenario written by `limitlab calibrate`: the levers below are set to their",
        "# posterior medians. Provenance:",
        f"#   targets file      {provenance['targets_file']}",
        f"#   targets sha256    {provenance['targets_sha256']}",
        f"#   targets fitted    {', '.join(provenance['targets_fitted'])}",
        f"#   base scenario     {provenance['scenario']}",
        f"#   seed              {provenance['seed']}",
        f"#   size              {provenance['borrowers']} borrowers x {provenance['months']} months x "
        f"population {provenance['population']} x {provenance['generations']} generations",
        f"#   limitlab          {provenance['limitlab_version']}",
        "#   levers (prior range -> posterior median, 90% interval):",
    ]
    for r in summary.itertuples():
        lines.append(f"#     {r.lever} = {r.prior_low:g}:{r.prior_high:g} -> {r.median:.6g} "
                     f"({r.q05:.6g} to {r.q95:.6g})")
    lines.append("")
    return "\n".join(lines) + "\n" + tomli_w.dumps(data)


def _kind(t_measure: str | None) -> str:
    return {"share": "pct", "yuan": "money"}.get(MEASURES[t_measure].kind if t_measure else "", "num")


def _fmt(v: float, kind: str) -> str:
    if kind == "num" and math.isfinite(v) and abs(v) < 100:
        return f"{v:.4g}"
    return fmt_value(v, kind)


def report_html(*, title: str, meta: str, fit: pd.DataFrame, summary: pd.DataFrame,
                posterior: pd.DataFrame, generations: pd.DataFrame,
                not_measured: list[tuple[Target, str]], settings: dict[str, Any]) -> str:
    """The report page, in the common report style of :mod:`limitlab.experiments.pages`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    missed = fit[fit["missed"]]
    lines = [
        f"{len(fit)} targets fitted with {len(summary)} levers: ABC-SMC, population "
        f"{settings['population']}, {int(generations['generation'].max()) + 1} generations, "
        f"{int(generations['simulations'].sum())} simulations (the prior sample's included) of "
        f"{settings['borrowers']} borrowers "
        f"x {settings['months']} months (seed {settings['seed']}).",
        ("Missed (model's posterior median more than 2 uncertainties from the target): "
         + ", ".join(missed["target"]) + ".") if len(missed) else
        "Every fitted target is within 2 uncertainties of the model's posterior median.",
    ]
    if not_measured:
        lines.append(f"{len(not_measured)} selected targets are not measured by the model yet and "
                     "were left out: " + ", ".join(t.name for t, _ in not_measured) + ".")
    for r in summary.itertuples():
        lines.append(f"{r.lever}: posterior median {r.median:.4g} (90% interval {r.q05:.4g} to "
                     f"{r.q95:.4g}; prior {r.prior_low:g} to {r.prior_high:g}).")

    rows = []
    for r in fit.itertuples():
        k = _kind(r.measure)
        rows.append([r.target, r.segment, r.measure, f"{_fmt(r.value, k)} ± {_fmt(r.uncertainty, k)}",
                     fmt_ci(r.model_median, r.model_q05, r.model_q95, k) if k != "num" else
                     f"{_fmt(r.model_median, k)} ({_fmt(r.model_q05, k)} – {_fmt(r.model_q95, k)})",
                     f"{r.z:+.2f}", "missed" if r.missed else "fits"])
    fit_sec = Section("Targets against the model", [
        "<p>Each target (value ± its uncertainty) against the model's value over the final "
        "posterior: weighted median and 90% interval of the accepted particles' simulations. "
        "z = (model median − target) / uncertainty; a target is missed when |z| &gt; 2.</p>",
        html_table(["target", "segment", "measure", "target", "model (90% interval)", "z", ""], rows),
    ])
    secs = [fit_sec]
    if not_measured:
        secs.append(Section("Targets not measured", [
            "<p>Selected targets the model does not produce a measure for yet; left out of the "
            "distance.</p>",
            html_table(["target", "segment", "why"], [[t.name, t.segment, why] for t, why in not_measured]),
        ]))
    last = _final(posterior)
    lev_sec = Section("Posterior of each lever", [
        "<p>Uniform priors on the given ranges; weighted quantiles of the final generation.</p>",
        html_table(["lever", "prior", "posterior mean", "median", "90% interval"],
                   [[r.lever, f"{r.prior_low:g} – {r.prior_high:g}", f"{r.mean:.4g}",
                     f"{r.median:.4g}", f"{r.q05:.4g} – {r.q95:.4g}"] for r in summary.itertuples()]),
    ])
    images: dict[str, bytes] = {}
    for j, r in enumerate(summary.itertuples()):
        fig, ax = plt.subplots(figsize=(5, 2.6))
        ax.hist(last[r.lever], bins=12, range=(r.prior_low, r.prior_high), weights=last["weight"],
                color="#4c72b0")
        ax.axvline(r.median, color="#c44e52")
        ax.set_xlabel(r.lever)
        ax.set_ylabel("posterior weight")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        plt.close(fig)
        name = f"lever{j}"
        images[name] = buf.getvalue()
        lev_sec.figures.append((name, f"Posterior of {r.lever} over its prior range (red: median)", None))
    secs.append(lev_sec)
    secs.append(Section("Generations", [html_table(
        ["generation", "threshold (standardised distance)", "simulations"],
        [["prior sample" if g.generation < 0 else str(g.generation), f"{g.epsilon:.4g}",
          str(g.simulations)] for g in generations.itertuples()])]))
    return render_html(title, meta, lines, secs, images)
