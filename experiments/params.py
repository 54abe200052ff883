"""``limitlab params``: every parameter of the scenario schema, with its default, bounds and help.

The schema (:mod:`limitlab.model.config`) is the one home of every parameter; this command and
the documentation's parameter page (``docs/parameters.md``, written by
``limitlab params --format markdown --out docs/parameters.md``) are generated from it, so they
cannot disagree with what a scenario file, ``--set``, a sweep axis or a demo slider accepts.
Units are part of each parameter's help text (yuan, months, shares, counts).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(annotation))
    if origin is not None:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = ", ".join(_type_name(a) for a in args)
        name = getattr(origin, "__name__", str(origin))
        if name in ("Union", "UnionType"):
            return inner + (" | None" if type(None) in typing.get_args(annotation) else "")
        return f"{name}[{inner}]"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(info) -> tuple[str, str]:
    lo = hi = ""
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = f">= {m.ge:g}" if isinstance(m.ge, float) else f">= {m.ge}"
        if getattr(m, "gt", None) is not None:
            lo = f"> {m.gt:g}" if isinstance(m.gt, float) else f"> {m.gt}"
        if getattr(m, "le", None) is not None:
            hi = f"<= {m.le:g}" if isinstance(m.le, float) else f"<= {m.le}"
        if getattr(m, "lt", None) is not None:
            hi = f"< {m.lt:g}" if isinstance(m.lt, float) else f"< {m.lt}"
    return lo, hi


def parameters(config: Any = None) -> Iterator[dict[str, Any]]:
    """One dict per leaf parameter of the schema, in schema order: ``key`` (dotted, as in
    ``--set``), ``type``, ``default`` (the value a scenario gets when it leaves the key out),
    ``min``, ``max`` (bounds as ``>= x`` / ``< x``; empty when unbounded) and ``help``.

    With ``config`` (a :class:`~limitlab.model.config.ScenarioConfig`), ``default`` is that
    scenario's value instead (its ``base`` chain and overrides already resolved)."""
    from limitlab.model.config import ScenarioConfig, _field_model
    from pydantic import BaseModel

    def walk(obj: BaseModel, prefix: str) -> Iterator[dict[str, Any]]:
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            if _field_model(info.annotation) is not None and isinstance(value, BaseModel):
                yield from walk(value, f"{prefix}{name}.")
                continue
            lo, hi = _bounds(info)
            if isinstance(value, BaseModel | list | dict):
                value = json.loads(json.dumps(value, default=lambda v: v.model_dump(mode="json")))
            yield {"key": prefix + name, "type": _type_name(info.annotation), "default": value,
                   "min": lo, "max": hi, "help": info.description or ""}

    yield from walk(ScenarioConfig() if config is None else config, "")


def param_text(value: Any) -> str:
    """A parameter value as text: booleans lower-case, floats short, lists and tables as JSON."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def render(rows: list[dict[str, Any]], fmt: str, scenario: str | None = None) -> str:
    """The rows as ``text`` (aligned columns), ``markdown``, ``csv`` or ``json``.

    With ``scenario`` (its name), the ``default`` column holds that scenario's values and is
    headed ``value``; the markdown title names the scenario."""
    vcol = "default" if scenario is None else "value"
    rows = [{(vcol if k == "default" else k): v for k, v in r.items()} for r in rows]
    cols = ("key", "type", vcol, "min", "max", "help")
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows({c: param_text(r[c]) for c in cols} for r in rows)
        return buf.getvalue()
    if fmt == "markdown":
        def esc(s: str) -> str:
            return s.replace("|", "\\|")

        lines = [
            "# Parameters",
            "",
            "Every parameter of a scenario, generated from the schema by "
            "`limitlab params --format markdown --out docs/parameters.md`. Keys are dotted as "
            "in `--set KEY=VALUE`, sweep axes and scenario TOML tables; units are in the help.",
            "",
            f"| key | type | {vcol} | bounds | help |",
            "|---|---|---|---|---|",
        ] if scenario is None else [
            f"# Parameters of {scenario}",
            "",
            f"The values scenario {scenario} runs with, its `base` chain and any `--set` resolved, "
            f"generated by `limitlab params --scenario {scenario} --format markdown`.",
            "",
            f"| key | type | {vcol} | bounds | help |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            bounds = ", ".join(b for b in (r["min"], r["max"]) if b)
            lines.append(f"| `{r['key']}` | {esc(r['type'])} | {esc(param_text(r[vcol]))} | "
                         f"{bounds} | {esc(r['help'])} |")
        return "\n".join(lines) + "\n"
    width = max((len(r["key"]) for r in rows), default=0)
    out = []
    for r in rows:
        bounds = ", ".join(b for b in (r["min"], r["max"]) if b)
        out.append(f"{r['key']:<{width}}  {param_text(r[vcol]):>10}  {bounds:<18}  {r['help']}")
    return "\n".join(out) + "\n"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("params", help="list every parameter with its default, bounds and help",
                       description="Every parameter of the scenario schema: its dotted key (as "
                                   "in --set), type, default, bounds and help (with units).")
    p.add_argument("--format", choices=("text", "markdown", "csv", "json"), default="text")
    p.add_argument("--scenario", default=None, metavar="SCENARIO",
                   help="show this scenario's values (a shipped name or a .toml path, its base "
                        "chain resolved) instead of the schema's defaults")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="with --scenario: override a parameter first (repeatable)")
    p.add_argument("--grep", default=None, metavar="TEXT",
                   help="only parameters whose key or help contains TEXT")
    p.add_argument("--out", default=None, help="write to this file instead of the terminal "
                                               "(replaced only with --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from limitlab.model.errors import ConfigError

    config = None
    if args.scenario is not None:
        from limitlab.experiments.catalog import load_scenario
        from limitlab.model.config import parse_set_options

        config = load_scenario(args.scenario, parse_set_options(args.overrides))
    elif args.overrides:
        raise ConfigError(f"--set: {args.overrides[0]} — only with --scenario (the schema's "
                          "defaults cannot be overridden)")
    rows = list(parameters(config))
    if args.grep:
        needle = args.grep.lower()
        rows = [r for r in rows if needle in r["key"].lower() or needle in r["help"].lower()]
    text = render(rows, args.format, None if config is None else config.name)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise ConfigError(f"--out {str(out)!r}: the file exists; add --overwrite to replace it")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {str(out)!r}: no such directory {str(out.parent)!r}")
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"--out {str(out)!r}: cannot write ({exc.strerror})") from None
    return 0
