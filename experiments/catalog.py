"""The scenarios and sweeps that ship with limitlab, found by name.

``limitlab run baseline`` names a file of ``experiments/scenarios/`` (installed as package data of
:mod:`limitlab.experiments`); a path to any TOML file works as well. The model layer only
validates configuration it is given (:func:`limitlab.model.config.load_scenario` takes a path);
resolving names belongs here.
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


def load_scenario(name_or_path: str | Path,
                  overrides: Mapping[str, Any] | None = None) -> ScenarioConfig:
    """Load a scenario by name or path, apply dotted overrides and validate it."""
    from limitlab.model import config  # pydantic: imported when a scenario is read

    return config.load_scenario(scenario_path(name_or_path), overrides)


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
