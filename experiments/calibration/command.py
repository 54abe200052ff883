"""``limitlab calibrate TARGETS --params LEVER=LOW:HIGH ...``: fit levers to published targets.

Writes into ``--out``:

- ``history.db``: pyabc's history (every generation; ``--resume`` continues from it);
- ``manifest.json``: the calibration's settings and provenance (written first);
- ``posterior.parquet``: every generation's particles (levers, weight, distance, each target's
  model value); the final generation is the posterior;
- ``fit.parquet``: each target against the model over the posterior;
- ``calibrated.toml`` (or ``--scenario-out``): the base scenario with each lever at its
  posterior median, its provenance in the leading comments;
- ``report.html``: the report page.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from limitlab.model.config import ConfigError

OWN_FILES = ("history.db", "manifest.json", "posterior.parquet", "fit.parquet", "calibrated.toml",
             "report.html")
# settings a resumed calibration must share with the one it continues
SPEC_KEYS = ("targets_sha256", "targets_fitted", "scenario", "overrides", "levers", "population",
             "borrowers", "months", "window", "seed")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate", help="fit levers to published targets (ABC-SMC posterior)",
        description="Fit parameters (levers, uniform priors on the given ranges) to the targets of "
                    "a targets file with pyabc's ABC-SMC. Reproducible from --seed whatever "
                    "--workers; --resume continues an interrupted calibration. See "
                    "docs/calibration.md.",
    )
    p.add_argument("targets", metavar="TARGETS",
                   help="targets TOML file, or 'published' for the shipped "
                        "experiments/calibration/targets.toml")
    p.add_argument("--params", nargs="+", required=True, metavar="LEVER=LOW:HIGH",
                   help="levers and their ranges, e.g. lender.cut_pd=0.05:0.2 (at least one)")
    p.add_argument("--scenario", default="baseline",
                   help="base scenario TOML file or shipped name (default baseline)")
    p.add_argument("--targets", dest="which", default="primary", metavar="WHICH",
                   help="primary (default: the targets marked primary), all, or NAME,NAME,...")
    p.add_argument("--population", type=int, default=40, metavar="N",
                   help="particles per generation (default 40)")
    p.add_argument("--generations", type=int, default=4, metavar="G",
                   help="generations (default 4; with --resume, more continue the calibration)")
    p.add_argument("--window", type=int, default=12, metavar="MONTHS",
                   help="months at the end of each run the measures average over (default 12)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--months", type=int, default=None, help="simulated months of each run")
    p.add_argument("--borrowers", type=int, default=None, help="initial applicants of each run")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter of the base scenario (kept in the calibrated one)")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="worker processes (default: every core; 0 = in this process)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on Dask: tcp://HOST:8786 or local[:N]")
    p.add_argument("--out", default=None, help="output directory (default results/calibration/)")
    p.add_argument("--scenario-out", default=None, metavar="PATH",
                   help="where to write the calibrated scenario (default OUT/calibrated.toml)")
    p.add_argument("--resume", action="store_true", help="continue the calibration in --out")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier calibration in --out (and an existing --scenario-out)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_calibrate)


def _positive(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name}: {value} — from {low} to {high}")


def build_spec(args: argparse.Namespace) -> dict[str, Any]:
    """Everything checked before anything is run or written (:class:`ConfigError` otherwise)."""
    from limitlab.experiments.calibration.smc import parse_lever
    from limitlab.experiments.calibration.targets import load_targets, select, shipped_targets
    from limitlab.experiments.catalog import read_scenario, scenario_path
    from limitlab.model.config import apply_overrides, parse_set_options, set_dotted

    _positive("--population", args.population, 2, 100_000)
    _positive("--generations", args.generations, 1, 1000)
    _positive("--window", args.window, 1, 600)
    levers = [parse_lever(text) for text in args.params]
    keys = [lv.key for lv in levers]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--params: {' '.join(args.params)!r} — each lever once")
    tpath = shipped_targets() if args.targets == "published" else Path(args.targets)
    tset = load_targets(tpath)
    chosen = select(tset, args.which)
    overrides = parse_set_options(args.overrides)
    if clash := [k for k in overrides if k in keys]:
        raise ConfigError(f"--set: {clash[0]} — also a lever in --params; give it once")
    spath = scenario_path(args.scenario)
    raw = read_scenario(spath)  # its base chain resolved: the calibrated file stands alone
    for k, v in overrides.items():
        set_dotted(raw, k, v)
    size: dict[str, Any] = {"output.events": False, "output.borrowers": False,
                            "output.figures": False}
    if args.months is not None:
        size["months"] = args.months
    if args.borrowers is not None:
        size["population.borrowers"] = args.borrowers
    base = apply_overrides(raw, size)  # validates the scenario, its --set and the run size
    if args.window > base.months:
        raise ConfigError(f"--window: {args.window} — at most the months simulated ({base.months})")
    for lv in levers:  # each end of each range must make a valid scenario with the others at base
        for end in (lv.low, lv.high):
            try:
                apply_overrides(base, {lv.key: lv.value(end)})
            except ConfigError as exc:
                raise ConfigError(f"--params: {lv.key}={lv.low:g}:{lv.high:g} — {end:g} makes an "
                                  f"invalid scenario ({exc})") from None
    seed = int(args.seed if args.seed is not None else base.seed)
    _positive("--seed", seed, 0, 2**63 - 1)
    out = Path(args.out) if args.out else Path("results") / "calibration"
    scenario_out = Path(args.scenario_out) if args.scenario_out else out / "calibrated.toml"
    return {"levers": levers, "targets": tset, "chosen": chosen, "raw": raw, "base": base,
            "overrides": overrides, "seed": seed, "out": out, "scenario_out": scenario_out,
            "scenario": str(spath)}


def manifest_of(spec: dict[str, Any], measured, args: argparse.Namespace) -> dict[str, Any]:
    import limitlab

    return {
        "command": "calibrate",
        "targets_file": str(spec["targets"].path),
        "targets_sha256": spec["targets"].sha256,
        "targets_fitted": [t.name for t in measured],
        "scenario": spec["scenario"],
        "overrides": spec["overrides"],
        "levers": [{"key": lv.key, "low": lv.low, "high": lv.high} for lv in spec["levers"]],
        "population": args.population,
        "generations": args.generations,
        "borrowers": spec["base"].population.borrowers,
        "months": spec["base"].months,
        "window": args.window,
        "seed": spec["seed"],
        "limitlab_version": limitlab.__version__,
    }


def _prepare_out(out: Path, manifest: dict[str, Any], args: argparse.Namespace,
                 check_only: bool = False) -> None:
    """Refuse to mix calibrations: an existing --out needs --resume (same settings) or
    --overwrite (its own files removed first, unless ``check_only``)."""
    from limitlab.experiments.sweep import changed_keys

    mpath = out / "manifest.json"
    present = out.exists() and any(out.iterdir())
    if args.resume:
        if not mpath.exists():
            raise ConfigError(f"--resume: {str(out)!r} — holds no calibration to resume "
                              "(no manifest.json); run without --resume")
        old = json.loads(mpath.read_text(encoding="utf-8"))
        from limitlab.experiments.calibration.smc import completed_generations

        if (done := completed_generations(out / "history.db")) > args.generations:
            raise ConfigError(f"--generations: {args.generations} — the calibration in "
                              f"{str(out)!r} already has {done}; give at least {done}")
        if changed := changed_keys({k: old.get(k) for k in SPEC_KEYS},
                                   {k: manifest[k] for k in SPEC_KEYS}):
            raise ConfigError(f"--resume: {str(out)!r} — its calibration had other settings "
                              f"({', '.join(changed)}); give the same ones, or --overwrite")
        return
    if present and not args.overwrite:
        raise ConfigError(f"--out: {str(out)!r} — exists and is not empty; give --resume to "
                          "continue its calibration, --overwrite to replace it, or another --out")
    if present:
        if not mpath.exists():
            raise ConfigError(f"--out: {str(out)!r} — not a calibration directory (no "
                              "manifest.json); --overwrite only replaces a calibration")
        if check_only:
            return
        for name in OWN_FILES:
            (out / name).unlink(missing_ok=True)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from limitlab.experiments.fileio import (
        atomic_write_bytes,
        atomic_write_text,
        check_output_dir,
        directory_lock,
    )
    from limitlab.experiments.sweep import check_executor_args

    spec = build_spec(args)
    check_executor_args(args.workers, args.dask)
    out: Path = spec["out"]
    scenario_out: Path = spec["scenario_out"]
    check_output_dir(out)
    measured, not_measured = _measured(spec)
    manifest = manifest_of(spec, measured, args)
    _prepare_out(out, manifest, args, check_only=True)
    inside = scenario_out.resolve().parent == out.resolve()  # replaced with --out's own files
    if scenario_out.exists() and not args.overwrite and not (args.resume and inside):
        raise ConfigError(f"--scenario-out: {str(scenario_out)!r} — exists; give --overwrite to "
                          "replace it, or another path")
    _prepare_out(out, manifest, args)
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda *_: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    for t, why in not_measured:
        print(f"limitlab: warning: target {t.name} not measured — {why}; left out", file=sys.stderr)
    with directory_lock(out, "calibration directory"):
        atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        from limitlab.experiments.calibration.smc import StuckError
        from limitlab.experiments.sweep import open_executor

        with open_executor(args.workers, args.dask) as ex:
            say(f"calibrating {len(spec['levers'])} levers to {len(measured)} targets on "
                f"{ex.description}: population {args.population} x {args.generations} generations "
                f"of {manifest['borrowers']} borrowers x {manifest['months']} months")
            try:
                history = run(spec, measured, out, args.population, args.generations,
                              args.window, ex.executor.map, say)
            except StuckError as exc:  # the generations done so far are kept for --resume
                print(f"limitlab: error: {exc} — the model cannot come closer to the targets "
                      "with these levers and ranges; widen the ranges or add levers",
                      file=sys.stderr)
                return 1
        write_outputs(spec, measured, not_measured, manifest, history, out, scenario_out,
                      atomic_write_bytes, atomic_write_text)
    say(f"wrote {out / 'report.html'}, {out / 'posterior.parquet'} and {scenario_out}")
    return 0


def _measured(spec: dict[str, Any]):
    """Split the chosen targets by whether the model measures them (columns of a tiny run)."""
    from limitlab.experiments.calibration.targets import split_measured
    from limitlab.model.config import apply_overrides
    from limitlab.model.run import simulate

    probe = apply_overrides(spec["base"], {"population.borrowers": 10, "months": 1})
    columns = set(simulate(probe, seed=0, borrowers=False, events=False).tables["segments"].columns)
    measured, not_measured = split_measured(spec["chosen"], columns)
    if not measured:
        raise ConfigError("TARGETS: none of the selected targets is measured by the model ("
                          + "; ".join(f"{t.name}: {why}" for t, why in not_measured[:3])
                          + ") — select targets with --targets")
    return measured, not_measured


def run(spec, measured, out: Path, population: int, generations: int, window: int, map_, say):
    """The ABC-SMC generations (continuing what ``out/history.db`` holds)."""
    from limitlab.experiments.calibration.smc import ParticleModel, run_generations

    model = ParticleModel(spec["base"].to_dict(), tuple(spec["levers"]), tuple(measured), window)
    start = time.perf_counter()

    def progress(t: int, eps: float, sims: int, n: int) -> None:
        say(f"generation {t + 1}/{generations}: threshold {eps:.4g}, {n} accepted of {sims} "
            f"simulations ({time.perf_counter() - start:.0f} s)")

    return run_generations(db=out / "history.db", model=model, levers=spec["levers"],
                           targets=measured, population=population, generations=generations,
                           seed=spec["seed"], map_=map_, on_generation=progress)


def write_outputs(spec, measured, not_measured, manifest, history, out: Path, scenario_out: Path,
                  atomic_write_bytes, atomic_write_text) -> None:
    from limitlab.experiments.calibration import results
    from limitlab.experiments.sweep import parquet_bytes
    from limitlab.model.config import set_dotted, validate_config

    levers = spec["levers"]
    posterior = results.posterior_table(history, levers, measured)
    summary = results.lever_summary(posterior, levers)
    fit = results.fit_table(posterior, measured)
    generations = results.generations_table(history)
    data = json.loads(json.dumps(spec["raw"]))
    for key, value in results.calibrated_values(summary, levers).items():
        set_dotted(data, key, value)
    data["name"] = f"{data.get('name', 'scenario')}_calibrated"
    data["description"] = (f"{data.get('description', '')} Calibrated by limitlab calibrate to "
                           f"{len(measured)} targets.").strip()
    validate_config(data)
    manifest = {**manifest, "generations_done": int(generations["generation"].max()) + 1,
                "simulations": int(generations["simulations"].sum()),
                "posterior": summary.to_dict(orient="records"),
                "missed": fit.loc[fit["missed"], "target"].tolist(),
                "not_measured": {t.name: why for t, why in not_measured}}
    page = results.report_html(
        title=f"limitlab calibration: {Path(spec['scenario']).stem}",
        meta=f"{out.resolve()} · targets {spec['targets'].path} (sha256 "
             f"{spec['targets'].sha256[:12]}) · seed {spec['seed']} · limitlab "
             f"{manifest['limitlab_version']}",
        fit=fit, summary=summary, posterior=posterior, generations=generations,
        not_measured=not_measured,
        settings={"population": manifest["population"], "borrowers": manifest["borrowers"],
                  "months": manifest["months"], "seed": spec["seed"]})
    toml_text = results.scenario_toml(data, manifest, summary)
    atomic_write_bytes(out / "posterior.parquet", parquet_bytes(posterior))
    atomic_write_bytes(out / "fit.parquet", parquet_bytes(fit))
    scenario_out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(scenario_out, toml_text)
    atomic_write_text(out / "report.html", page)
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2, default=float) + "\n")
