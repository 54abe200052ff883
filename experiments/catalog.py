"""The scenarios and sweeps that ship with limitlab, found by name.

``limitlab run baseline`` names a file of ``experiments/scenarios/`` (installed as package data of
:mod:`limitlab.experiments`); a path to any TOML file works as well. The model layer only
validates configuration it is given (:func:`limitlab.model.config.load_scenario` takes a path);
resolving names belongs here, and so does a scenario's ``base``: a file that says
``base = "baseline"`` (a shipped name, or a path relative to the file's own folder) is laid over
that scenario, table by table (:func:`read_scenario`), so a scenario that is "the baseline plus a
change" carries the baseline's settings, whatever they become, and lists only its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limitlab.model.errors import ConfigError

if TYPE_CHECKING:
    from limitlab.model.config import ScenarioConfig


def _folder(kind: str) -> Path:
    return Path(str(resources.files("limitlab.experiments") / kind))


def scenario_dir() -> Path:
    """The folder of the scenarios that ship with limitlab."""
    return _folder("scenarios")


def sweep_dir() -> Path:
    """The folder of the sweep designs that ship with limitlab."""
    return _folder("sweeps")


def scenario_names() -> list[str]:
    """Names of the shipped scenarios (``baseline``, ``periodic_tightening``, ...)."""
    return sorted(p.stem for p in scenario_dir().glob("*.toml"))


def sweep_names() -> list[str]:
    """Names of the shipped sweep designs."""
    return sorted(p.stem for p in sweep_dir().glob("*.toml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """A path as given, or a bare name looked up among the shipped scenarios.

    Raises:
        ConfigError: neither a file nor a shipped scenario; the message lists the names.
    """
    p = Path(name_or_path)
    if p.exists() or p.parent != Path("."):
        return p  # a path: the model layer reads it (or says it is not found)
    cand = scenario_dir() / (p.name if p.suffix == ".toml" else f"{p.name}.toml")
    if cand.exists():
        return cand
    raise ConfigError(
        f"scenario {str(name_or_path)!r}: no such file or shipped scenario; shipped scenarios: "
        f"{', '.join(scenario_names())} (or give a path to a .toml file)"
    )


def _base_path(value: Any, of: Path) -> Path:
    """The file a ``base = ...`` in ``of`` names: a path (it ends in ``.toml`` or has a folder),
    relative to ``of``'s folder unless absolute, or else the name of a shipped scenario."""
    allowed = (f"the name of a shipped scenario ({', '.join(scenario_names())}) or a path to a "
               f".toml file, relative to the folder of {str(of)!r}")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"base: {value!r} — {allowed}")
    p = Path(value)
    if p.suffix == ".toml" or p.parent != Path("."):
        cand = p if p.is_absolute() else of.parent / p
    else:
        cand = scenario_dir() / f"{value}.toml"
    if not cand.is_file():
        raise ConfigError(f"base: {value} — {allowed}")
    return cand


def _layers(name_or_path: str | Path) -> tuple[list[Path], list[dict[str, Any]]]:
    """The files of a scenario's ``base`` chain and their tables, the scenario's own first.

    Raises:
        ConfigError: an unknown base, a cycle of bases, or an unreadable file.
    """
    from limitlab.model.config import read_toml

    path = scenario_path(name_or_path)
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    while True:
        key = path.resolve()
        if key in chain:
            cycle = " -> ".join(p.name for p in [*chain[chain.index(key):], key])
            raise ConfigError(f"base: {layers[-1]['base']} — a cycle of bases ({cycle}); a "
                              "scenario cannot be its own base")
        chain.append(key)
        data = read_toml(path)
        layers.append(data)
        if "base" not in data:
            return chain, layers
        path = _base_path(data["base"], path)


def read_scenario(name_or_path: str | Path) -> dict[str, Any]:
    """A scenario file's table with its ``base`` chain resolved, not yet validated.

    ``base = "baseline"`` (a shipped name) or ``base = "../mine.toml"`` (a path relative to the
    file's folder) lays the file over its base, whose own base is resolved first: tables merge
    key by key, other values are replaced. ``name`` and ``description`` are never inherited (a
    file without a name is named after its file). The result has no ``base`` key.

    Raises:
        ConfigError: an unknown base, a cycle of bases, or an unreadable file.
    """
    from limitlab.model.config import deep_merge

    chain, layers = _layers(name_or_path)
    first = layers[0]
    out: dict[str, Any] = {}
    for layer in reversed(layers):
        out = deep_merge(out, {k: v for k, v in layer.items()
                           if k not in ("base", "name", "description")})
    out["name"] = first.get("name", chain[0].stem.replace("-", "_").lower())
    if "description" in first:
        out["description"] = first["description"]
    return out


def scenario_bases(name_or_path: str | Path) -> list[str]:
    """The ``base`` values a scenario's chain names, nearest first (empty without a base)."""
    return [str(layer["base"]) for layer in _layers(name_or_path)[1] if "base" in layer]


def load_scenario(name_or_path: str | Path,
                  overrides: Mapping[str, Any] | None = None) -> ScenarioConfig:
    """Load a scenario by name or path (its ``base`` chain resolved), apply dotted overrides
    and validate it."""
    from limitlab.model.config import set_dotted, validate_config  # pydantic: imported here

    data = read_scenario(name_or_path)
    for key, value in (overrides or {}).items():
        set_dotted(data, key, value)
    return validate_config(data)


def register(sub) -> None:
    """``limitlab list``: the shipped scenarios (with their descriptions) and sweeps."""
    p = sub.add_parser("list", help="list the shipped scenarios and sweeps",
                       description="List the scenarios and sweep designs that ship with limitlab; "
                                   "give their names to run, batch or sweep.")
    p.set_defaults(func=_list)


def _description(path: Path) -> str:
    from limitlab.model.config import read_toml

    text = read_toml(path).get("description", "")
    return " ".join(str(text).split())


def _list(args) -> int:
    print("scenarios (limitlab run NAME, limitlab batch NAME):")
    for name in scenario_names():
        desc = _description(scenario_dir() / f"{name}.toml")
        print(f"  {name:<22} {desc[:100] + ('…' if len(desc) > 100 else '')}".rstrip())
    print("sweeps (limitlab sweep NAME):")
    for name in sweep_names():
        print(f"  {name}")
    return 0
