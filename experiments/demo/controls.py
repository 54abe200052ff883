"""The page's levers, generated from the parameter schema, and their translation back to it.

Every slider is a dotted key of :mod:`limitlab.model.config`: its label, unit and help line
come from :mod:`.texts` (the page's words, translated by the catalogues; the help line is
the Field's description, checked against the schema by the tests), its type (int or float) the Field's annotation, its range the Field's bounds (narrowed to a
classroom range where the schema allows absurd values, e.g. five million borrowers) and its
starting value the lesson's scenario. A slider therefore cannot disagree with a TOML file.

Three controls are not single schema keys and are translated here:

* the habit mix: one slider per habit except ``prudent``, which takes the rest (the
  schema demands shares that sum to one);
* the recession: a toggle, a depth and a start month that become one economy-wide entry of
  ``economy.shocks``;
* the seed: a text field (Mesa's ``InputText``) holding a whole number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limitlab.model.config import (
    HABITS,
    ConfigError,
    ScenarioConfig,
    field_bounds,
    field_info,
    get_dotted,
)

from .lessons import DEFAULT_LESSON, get_lesson
from .texts import DEFAULT_LANGUAGE, LEVER_HINT, LEVER_TEXT, text, translate

RECESSION_MONTHS = 12  # length of the demo's recession when the lesson's scenario has none
RECESSION_START = 24
RECESSION_DEPTH = 1.5


@dataclass(frozen=True)
class Lever:
    """One slider over one schema key.

    Attributes:
        key: dotted schema key, e.g. ``lender.monitoring.sensitivity``.
        max: classroom maximum when the schema's bound is far too wide (else the schema's).
        min: classroom minimum (else the schema's).
        step: slider step.
    """

    key: str
    step: float
    max: float | None = None
    min: float | None = None

    @property
    def name(self) -> str:
        """The model parameter name: dots become ``__``, as SolaraViz passes keyword args."""
        return self.key.replace(".", "__")

    def widget(self, config: ScenarioConfig, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """Mesa's ``model_params`` entry for this lever, starting at ``config``'s value."""
        _, annotation = field_info(self.key)
        lo, hi = field_bounds(self.key)
        lo = lo if self.min is None else max(self.min, lo if lo is not None else self.min)
        hi = hi if self.max is None else min(self.max, hi if hi is not None else self.max)
        is_int = annotation is int
        value = get_dotted(config, self.key)
        value = min(max(value, lo), hi)
        return {
            "type": "SliderInt" if is_int else "SliderFloat",
            "label": LEVER_TEXT[self.key].label_in(lang),
            "text": self.key,
            "help": translate(LEVER_HINT[self.key], lang),
            "value": int(value) if is_int else float(value),
            "min": int(lo) if is_int else float(lo),
            "max": int(hi) if is_int else float(hi),
            "step": int(self.step) if is_int else float(self.step),
        }


LEVERS: tuple[Lever, ...] = (
    Lever("population.borrowers", step=100, min=100, max=5000),
    Lever("population.small_business_share", step=0.05),
    *(Lever(f"population.habits.{h}", step=0.01, max=0.6) for h in HABITS if h != "prudent"),
    Lever("lender.initial_limit", step=100, min=100, max=20_000),
    Lever("lender.limit_growth", step=0.05, max=1.0),
    Lever("lender.monitoring.sensitivity", step=0.1),
    Lever("lender.review.period_months", step=1, max=24),
    Lever("lender.review.tightening_strength", step=0.05),
    Lever("lender.appeals.acceptance", step=0.05),
)
HABIT_LEVERS = {f"population__habits__{h}" for h in HABITS if h != "prudent"}


def _recession_of(config: ScenarioConfig) -> tuple[bool, float, int]:
    """(on, depth, start month) of the scenario's first economy-wide shock."""
    for shock in config.economy.shocks:
        if shock.sector is None:
            return True, float(shock.depth), int(shock.start_month)
    return False, RECESSION_DEPTH, RECESSION_START


def model_params(lesson_key: str = DEFAULT_LESSON, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Mesa ``model_params`` for a lesson: the seed field, the levers and the recession,
    labelled in ``lang``.

    The lesson's key is a fixed parameter, so Mesa's Reset rebuilds the same lesson with
    the sliders' current values.
    """
    config = get_lesson(lesson_key).config()
    on, depth, start = _recession_of(config)
    depth_lo, depth_hi = field_bounds("economy.shocks.depth")
    start_lo, _ = field_bounds("economy.shocks.start_month")
    params: dict[str, Any] = {
        "lesson": lesson_key,
        "seed": {"type": "InputText", "label": text("seed", lang), "value": str(config.seed)},
    }
    for lever in LEVERS:
        params[lever.name] = lever.widget(config, lang)
    params["recession"] = {
        "type": "Checkbox", "label": text("recession", lang, months=RECESSION_MONTHS), "value": on,
    }
    params["recession_depth"] = {
        "type": "SliderFloat",
        "label": LEVER_TEXT["recession_depth"].label_in(lang), "text": "recession_depth",
        "help": translate(LEVER_HINT["recession_depth"], lang),
        "value": depth, "min": max(0.0, depth_lo), "max": min(3.0, depth_hi), "step": 0.1,
    }
    params["recession_start"] = {
        "type": "SliderInt",
        "label": LEVER_TEXT["recession_start"].label_in(lang), "text": "recession_start",
        "help": translate(LEVER_HINT["recession_start"], lang),
        "value": start, "min": int(start_lo), "max": int(config.months) - 1, "step": 1,
    }
    return params


def default_values(lesson_key: str = DEFAULT_LESSON) -> dict[str, Any]:
    """The keyword arguments Mesa passes on Reset before any slider is moved."""
    return {
        name: (spec["value"] if isinstance(spec, dict) else spec)
        for name, spec in model_params(lesson_key).items()
    }


def parse_seed(seed: Any) -> int:
    """The seed field's text as a whole number (ConfigError with an example otherwise)."""
    try:
        value = int(str(seed).strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"seed = {seed!r}: must be a whole number >= 0, e.g. 20261129")
    return value


def scenario_for(
    lesson: str = DEFAULT_LESSON,
    seed: Any = None,
    recession: bool | None = None,
    recession_depth: float | None = None,
    recession_start: int | None = None,
    **levers: Any,
) -> ScenarioConfig:
    """The scenario a page with these control values simulates.

    Args:
        lesson: the lesson's key (its scenario file is the starting point).
        seed: the seed field's text (default: the scenario's seed).
        recession: economy-wide recession on/off (default: as in the scenario).
        recession_depth: shift of the systematic factor in standard deviations.
        recession_start: first month of the recession.
        **levers: slider values by model parameter name (``lender__limit_growth=0.3``).

    Raises:
        ConfigError: an unknown lever, a seed that is not a whole number, or a value the
            schema rejects.
    """
    base = get_lesson(lesson).config()
    overrides: dict[str, Any] = {}
    if seed is not None and str(seed).strip() != "":
        overrides["seed"] = parse_seed(seed)
    known = {lever.name for lever in LEVERS}
    for name, value in levers.items():
        if name not in known:
            raise ConfigError(f"{name}: not a control of the demo; known: {', '.join(sorted(known))}")
        if name not in HABIT_LEVERS:
            overrides[name.replace("__", ".")] = value
    overrides.update(_habit_mix(base, levers))
    overrides["economy.shocks"] = _shocks(base, recession, recession_depth, recession_start)
    return get_lesson(lesson).config(overrides)


def _habit_mix(base: ScenarioConfig, levers: Mapping[str, Any]) -> dict[str, float]:
    """Habit shares from the sliders; prudent takes the rest (others scaled down if > 1)."""
    shares = {h: float(getattr(base.population.habits, h)) for h in HABITS}
    for name in HABIT_LEVERS & set(levers):
        shares[name.rsplit("__", 1)[1]] = max(float(levers[name]), 0.0)
    others = sum(v for h, v in shares.items() if h != "prudent")
    if others > 1.0:
        shares = {h: (v / others if h != "prudent" else 0.0) for h, v in shares.items()}
    else:
        shares["prudent"] = round(1.0 - others, 12)  # 0.45, not 0.44999999999999996
    return {f"population.habits.{h}": v for h, v in shares.items()}


def _shocks(
    base: ScenarioConfig, on: bool | None, depth: float | None, start: int | None
) -> list[dict[str, Any]]:
    """``economy.shocks``: the scenario's sector shocks plus the demo's recession, if on."""
    was_on, base_depth, base_start = _recession_of(base)
    kept = [s.model_dump() for s in base.economy.shocks if s.sector is not None]
    length = RECESSION_MONTHS
    for s in base.economy.shocks:
        if s.sector is None:
            length = s.end_month - s.start_month + 1
            break
    if not (was_on if on is None else on):
        return kept
    first = base_start if start is None else int(start)
    return kept + [{
        "start_month": first,
        "end_month": first + length - 1,
        "depth": base_depth if depth is None else float(depth),
        "sector": None,
    }]
