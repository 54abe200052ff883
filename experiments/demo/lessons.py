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

# A class watches a few hundred borrowers' dots and a month every ~0.1 s: 2,000 borrowers
# keep the page responsive (see the benchmark in tests/test_demo.py) and the series smooth.
DEMO_BORROWERS = 2000


@dataclass(frozen=True)
class Lesson:
    """A preset for the classroom page.

    Attributes:
        key: short identifier (also the model parameter ``lesson``).
        title: what the selector shows.
        scenario: the scenario file, relative to ``experiments/scenarios/``.
        watch: a few sentences telling the class what to watch.
        inspect: what the inspector's "random" button looks for first
            (``"tester"`` or ``"reopened"``).
        demo_overrides: dotted-key settings that size the scenario for a live page.
    """

    key: str
    title: str
    scenario: str
    watch: str
    inspect: str = "tester"
    demo_overrides: Mapping[str, Any] = field(
        default_factory=lambda: {"population.borrowers": DEMO_BORROWERS}
    )

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
        Lesson(
            key="tester_closed",
            title="1. The tester gets closed",
            scenario="tester_crackdown.toml",
            watch=(
                "Some borrowers 'test' the line: they borrow and repay within days, several "
                "times a month, and cost the lender almost nothing. Here the lender's monitoring "
                "is twice as sensitive and one strike closes the line. Watch the closures bar "
                "jump in the first months, the testers' average limit fall in 'limits by habit', "
                "and the orange tester dots drop to the bottom of the scatter. Then press "
                "'A random tester' in the inspector and read the lender's reason."
            ),
        ),
        Lesson(
            key="reopened_short",
            title="2. Closed, reopened, limit too low",
            scenario="lessons/reopened_short.toml",
            inspect="reopened",
            watch=(
                "A closed line reopens after a three-month cool-off, but the lender treats it "
                "as a new customer: the limit is recalculated from the score, not restored. "
                "Watch reopenings follow closures three months later in the actions chart, and "
                "press 'A random reopened line' in the inspector: compare the limit before the "
                "closure with the limit after the reopening. Is the borrower riskier than before?"
            ),
        ),
        Lesson(
            key="system_adjustment",
            title="3. The system adjustment",
            scenario="periodic_tightening.toml",
            watch=(
                "Every six months the lender compares realised defaults with a strict risk "
                "appetite and re-tunes the whole book. Watch the monitor 'limit multiplier' and "
                "the total limit step down at a review month (12, 18, ... once defaults run above "
                "the appetite) for every habit at once, including prudent borrowers whose "
                "behaviour never changed. The inspector's reason reads 'system review'. Then "
                "watch the default rate: cutting everyone's room can raise it."
            ),
        ),
        Lesson(
            key="recession",
            title="4. The recession",
            scenario="recession.toml",
            watch=(
                "From month 24 to 35 the economy is in recession: incomes fall together. Watch "
                "the default rate and losses rise with a delay of a few months, the next system "
                "review cut limits when borrowers need them most, and unmet demand grow. Switch "
                "the recession off (or change its depth) and press Reset to compare."
            ),
        ),
        Lesson(
            key="diversified_business",
            title="5. The diversified small business",
            scenario="diversification.toml",
            watch=(
                "Half the customers are small businesses. Some depend on the credit line "
                "alone; others also keep a bank loan, supply-chain finance and other online "
                "lenders open, as the article advises. Watch the funding chart: who goes short "
                "of working capital, and who fails. Then switch the recession on and press "
                "Reset. More doors open does not always mean fewer failures: the credit bureau "
                "shows every debt, and the credit line reads many lenders as risk."
            ),
        ),
        Lesson(
            key="baseline",
            title="Free play: the baseline",
            scenario="baseline.toml",
            watch=(
                "The baseline portfolio: a mix of habits, monitoring on, no system reviews and "
                "no recession. Move one lever at a time, press Reset, and compare."
            ),
        ),
    )
}

DEFAULT_LESSON = "tester_closed"


def get_lesson(key: str) -> Lesson:
    """The lesson called ``key``; unknown keys raise ``KeyError`` naming the known ones."""
    try:
        return LESSONS[key]
    except KeyError:
        raise KeyError(f"lesson {key!r} is unknown; choose one of: {', '.join(LESSONS)}") from None
