"""The classroom lessons: each is a scenario file plus a few sentences for the class.

A lesson holds no parameters of its own except the demo's size: everything else comes from
its scenario TOML (``experiments/scenarios/`` or ``experiments/scenarios/lessons/``), read
with :func:`limitlab.experiments.catalog.load_scenario`, so a lesson and a ``limitlab run`` of the same file
simulate the same world. The page's sliders start at the lesson's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limitlab.experiments.catalog import load_scenario, scenario_dir
from limitlab.model.config import ScenarioConfig

from .texts import DEFAULT_LANGUAGE, lesson_title, lesson_watch

# A class watches a few hundred borrowers' dots and a month every ~0.1 s: 2,000 borrowers
# keep the page responsive (see the benchmark in tests/test_demo.py) and the series smooth.
DEMO_BORROWERS = 2000


@dataclass(frozen=True)
class Lesson:
    """A preset for the classroom page.

    Attributes:
        key: short identifier (also the model parameter ``lesson``); its title and what
            the class should watch are in :mod:`.texts` (``LESSON_TEXT``), translated
            by the message catalogues.
        scenario: the scenario file, relative to ``experiments/scenarios/``.
        inspect: what the inspector's "random" button looks for first
            (``"tester"`` or ``"reopened"``).
        demo_overrides: dotted-key settings that size the scenario for a live page.
    """

    key: str
    scenario: str
    inspect: str = "tester"
    demo_overrides: Mapping[str, Any] = field(
        # the class watches the book open at month 0: no burn-in on a live page
        default_factory=lambda: {"population.borrowers": DEMO_BORROWERS, "burn_in_months": 0}
    )

    @property
    def title(self) -> str:
        """What the lesson selector shows (English)."""
        return lesson_title(self.key)

    @property
    def watch(self) -> str:
        """A few sentences telling the class what to watch (English)."""
        return lesson_watch(self.key)

    def title_in(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The lesson's title in ``lang``."""
        return lesson_title(self.key, lang)

    def watch_in(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """What the class should watch, in ``lang``."""
        return lesson_watch(self.key, lang)

    @property
    def path(self) -> Path:
        """Absolute path of the lesson's scenario file."""
        return scenario_dir() / self.scenario

    def config(self, overrides: Mapping[str, Any] | None = None) -> ScenarioConfig:
        """The lesson's scenario, demo-sized, with dotted-key ``overrides`` on top."""
        return load_scenario(self.path, {**self.demo_overrides, **(overrides or {})})


LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        Lesson(key="tester_closed", scenario="tester_crackdown.toml"),
        Lesson(key="reopened_short", scenario="lessons/reopened_short.toml", inspect="reopened"),
        Lesson(key="system_adjustment", scenario="periodic_tightening.toml"),
        Lesson(key="recession", scenario="recession.toml"),
        Lesson(key="diversified_business", scenario="diversification.toml"),
        # free play from the baseline without its yearly reviews (the lesson's text says so;
        # the system_adjustment lesson shows reviews)
        Lesson(key="baseline", scenario="baseline.toml", demo_overrides={
            "population.borrowers": DEMO_BORROWERS, "burn_in_months": 0,
            "lender.review.period_months": 0}),
    )
}

DEFAULT_LESSON = "tester_closed"


def get_lesson(key: str) -> Lesson:
    """The lesson called ``key``; unknown keys raise ``KeyError`` naming the known ones."""
    try:
        return LESSONS[key]
    except KeyError:
        raise KeyError(f"lesson {key!r} is unknown; choose one of: {', '.join(LESSONS)}") from None
