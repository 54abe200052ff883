"""The model a browser session drives, and the borrower history its inspector shows.

:class:`DemoModel` is :class:`~model.credit_market.CreditMarketModel` built from the page's
controls (Mesa's Reset calls the model class with the control values as keyword arguments),
plus a :class:`BorrowerHistory` that copies four columns after every month. It adds no rule:
the simulation is exactly ``CreditMarketModel(scenario_for(...))``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from limitlab.agents.codes import HABITS, STATUS_NAMES, Actor, Habit
from limitlab.model.credit_market import CreditMarketModel

from .controls import scenario_for
from .lessons import DEFAULT_LESSON, get_lesson
from .texts import DEFAULT_LANGUAGE, event_words, text


class BorrowerHistory:
    """Month-by-month limit, balance, score and status of every borrower row.

    The model keeps only the current state (and the event log of changes); the inspector
    wants the path, so the page copies these columns once a month: 13 bytes a row a month,
    under 3 MB for 2,000 borrowers over 60 months.
    """

    def __init__(self) -> None:
        self.months: list[int] = []
        self._limit: list[np.ndarray] = []
        self._balance: list[np.ndarray] = []
        self._score: list[np.ndarray] = []
        self._status: list[np.ndarray] = []

    def record(self, model: CreditMarketModel) -> None:
        """Copy this month's columns (limits and balances fit int32 cents: < 21 million yuan)."""
        t = model.table
        self.months.append(model.month)
        self._limit.append(t.limit_cents.astype(np.int32))
        self._balance.append(t.balance_cents.astype(np.int32))
        self._score.append(t.score.astype(np.float32))
        self._status.append(t.status.astype(np.int8))

    def of(self, row: int) -> pd.DataFrame:
        """One row per month the borrower existed: month, status, limit, balance, score."""
        keep = [i for i, lim in enumerate(self._limit) if row < lim.size]
        return pd.DataFrame({
            "month": np.array([self.months[i] for i in keep], dtype=np.int32),
            "status": [STATUS_NAMES[int(self._status[i][row])] for i in keep],
            "limit": np.array([self._limit[i][row] / 100.0 for i in keep]),
            "balance": np.array([self._balance[i][row] / 100.0 for i in keep]),
            "score": np.array([float(self._score[i][row]) for i in keep]),
        })


class DemoModel(CreditMarketModel):
    """The credit market a classroom page shows, built from the page's control values.

    Args:
        lesson: the lesson's key; its scenario file is the starting point (default: the
            class's ``default_lesson``, see :func:`model_class`).
        seed: the seed field's text (default: the scenario's seed).
        recession: economy-wide recession on/off (default: as in the scenario).
        recession_depth: shift of the systematic factor in standard deviations.
        recession_start: first month of the recession.
        scenario: ignored: Mesa's Reset passes an empty ``mesa.experimental`` Scenario.
        **levers: slider values by parameter name, e.g. ``lender__monitoring__sensitivity=2``.

    Raises:
        ConfigError: a control value the schema rejects (one line, naming the key).
    """

    default_lesson = DEFAULT_LESSON

    def __init__(
        self,
        lesson: str | None = None,
        seed: Any = None,
        recession: bool | None = None,
        recession_depth: float | None = None,
        recession_start: int | None = None,
        scenario: Any = None,
        **levers: Any,
    ) -> None:
        del scenario  # Mesa's Reset passes its own empty Scenario; ours is the lesson's file
        lesson = self.default_lesson if lesson is None else lesson
        config = scenario_for(lesson, seed, recession, recession_depth, recession_start, **levers)
        self.history = BorrowerHistory()
        super().__init__(config, keep_events=True)
        self.lesson = lesson
        self.history.record(self)

    def step(self) -> None:
        """One month of the model, then a copy of the columns the inspector shows."""
        super().step()
        self.history.record(self)


@functools.cache
def model_class(lesson: str) -> type[DemoModel]:
    """:class:`DemoModel` with ``lesson`` as its default lesson.

    Mesa's Reset rebuilds ``type(model)(**control_values)``; the page's model is of its
    lesson's class, so Reset rebuilds the lesson even when Mesa passes only the controls
    that were moved (it does after the page re-mounts its controls for a new lesson).
    """
    get_lesson(lesson)  # unknown lessons fail here, naming the known ones
    return type(f"DemoModel_{lesson}", (DemoModel,), {
        "default_lesson": lesson,
        "__doc__": f"The classroom model of lesson {lesson!r}.",
        "__module__": __name__,
    })


def borrower_timeline(model: DemoModel, row: int, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """The inspector's table: the borrower's month-by-month state and what happened.

    ``what_happened`` lists the month's events for this borrower in plain words, the
    lender's reason included ("closed: 5 borrow-and-repay cycles in one month"), in
    ``lang``; the borrower's own actions (an appeal, leaving) are marked "(borrower)".
    """
    frame = model.history.of(row)
    ev = model.events.columns()
    mine = np.flatnonzero(ev["borrower_id"] == row)
    words: dict[int, list[str]] = {}
    for i in mine:
        said = event_words(int(ev["action"][i]), int(ev["reason"][i]), float(ev["value"][i]),
                           lang, model.lender.custom.templates,
                           by_borrower=int(ev["actor"][i]) == Actor.BORROWER)
        words.setdefault(int(ev["month"][i]), []).append(said)
    separator = text("separator", lang)
    frame["what_happened"] = [
        separator.join(words.get(int(m), [])) for m in frame["month"]
    ]
    return frame


def pick_borrower(model: DemoModel, wanted: str, previous: int | None = None) -> int | None:
    """A borrower worth showing: ``"tester"`` or ``"reopened"``; ``None`` if there is none.

    Testers the lender has restricted come first, then any tester that got an account;
    ``"reopened"`` means a line that was closed and reopened. The choice cycles through
    the candidates in a fixed, seed-independent order (no randomness is drawn: the model's
    random streams stay untouched), skipping ``previous``.
    """
    t = model.table
    opened = t.opened_month >= 0
    if wanted == "reopened":
        pools = [np.flatnonzero(opened & (t.times_reopened > 0))]
    elif wanted in HABITS:
        habit = t.habit == Habit[wanted.upper()]
        restricted = (t.times_closed > 0) | (t.times_frozen > 0) | (t.times_flagged > 0)
        pools = [np.flatnonzero(opened & habit & restricted), np.flatnonzero(opened & habit)]
    else:
        raise ValueError(f"wanted={wanted!r}: choose 'reopened' or a habit ({', '.join(HABITS)})")
    for pool in pools:
        if pool.size:
            if previous is None:
                return int(pool[pool.size // 2])
            # a golden-ratio stride wanders over the candidates before repeating one
            stride = max(1, round(pool.size * 0.618))
            return int(pool[(int(np.searchsorted(pool, previous)) + stride) % pool.size])
    return None
