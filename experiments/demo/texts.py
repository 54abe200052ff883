"""Every string the classroom page shows, in one place per language.

The page never writes a user-visible word itself: it asks :func:`text` (``text("step")``)
or reads :data:`LEVER_TEXT` (a slider's label, unit and how its value is shown). A second
language is a second dictionary of the same keys; :data:`ENGLISH` is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LeverText:
    """How one slider is labelled and how its value is shown.

    Attributes:
        label: the slider's name on the page.
        unit: the unit shown after the value ("" for none).
        percent: show a share (0.25) as a percentage (25%).
        decimals: digits after the decimal point of the shown value.
    """

    label: str
    unit: str = ""
    percent: bool = False
    decimals: int = 0

    def show(self, value: float) -> str:
        """The value as the page shows it beside the slider, unit included."""
        if self.percent:
            return f"{100 * float(value):.{self.decimals}f}%"
        number = f"{float(value):,.{self.decimals}f}"
        return f"{number} {self.unit}".strip()


ENGLISH: dict[str, str] = {
    "title": "limitlab: a credit line in class",
    "lesson": "Lesson",
    "lesson_loaded": "{title}: every control is set to this lesson's settings.",
    "lesson_restored": "Back to the settings of {title}.",
    "back_to_lesson": "Back to the lesson's settings",
    "controls_changed": "Some controls differ from the lesson's settings; press Reset to apply them.",
    "scenario_file": "Scenario file: experiments/scenarios/{file}",
    "run": "Run",
    "controls": "Settings",
    "presentation": "Presentation mode (large charts and numbers)",
    "seed": "Seed (a whole number)",
    "recession": "Recession ({months} months)",
    "monitors": "Monitors",
    "scenario_line": "Scenario {name}, seed {seed}, {borrowers:,} borrowers at the start",
    "month": "month",
    "recession_shade": "recession",
    "review_line": "system review",
    # monitors
    "m_month": "Month",
    "m_open": "Open lines",
    "m_closed_now": "Closed lines now",
    "m_total_limit": "Total limits (yuan)",
    "m_outstanding": "Outstanding (yuan)",
    "m_default_rate": "Default rate (% a year)",
    "m_losses": "Losses so far (yuan)",
    "m_closed": "Lines closed so far",
    "m_reopened": "Lines reopened so far",
    "m_appeals": "Appeals granted / filed",
    "m_multiplier": "Limit multiplier (reviews)",
    "m_borrowers": "Borrowers",
    # charts
    "c_portfolio": "Portfolio (million yuan)",
    "c_default_rate": "Default rate (% a year)",
    "s_total_limit": "total limits",
    "s_outstanding": "outstanding",
    "s_losses": "losses so far",
    "c_habit_limits": "Average limit of open lines by habit (yuan)",
    "c_actions": "Closures, reopenings, appeals",
    "c_cuts": "Limit cuts and freezes",
    "per_month": "per month",
    "s_closures": "closures",
    "s_reopenings": "reopenings",
    "s_appeals_filed": "appeals filed",
    "s_appeals_granted": "appeals granted",
    "s_freezes": "freezes",
    "s_limit_downs": "limit cuts",
    "c_scatter": "Borrowers: score vs limit",
    "score": "score",
    "limit_yuan": "limit (yuan)",
    "colour_habit": "colour = habit",
    "marker_status": "marker = status",
    "st_active": "active",
    "st_frozen": "frozen",
    "st_closed": "closed",
    "st_defaulted": "charged off",
    "c_short": "Short of funding (%)",
    "c_failed": "Failed so far (%)",
    "of_businesses": "% of businesses",
    "funding_hint": "Funding strategies: shown when other lenders take part (lesson 5).",
    # habits and strategies
    "h_prudent": "prudent",
    "h_revolver": "revolver",
    "h_tester": "tester",
    "h_early_repayer": "early repayer",
    "h_multi_lender": "multi-lender",
    "h_late_payer": "late payer",
    "g_single_channel": "single channel",
    "g_diversified": "diversified",
    "g_opportunistic": "opportunistic",
    # inspector
    "inspector": "Borrower inspector",
    "random_tester": "A random tester",
    "random_reopened": "A random reopened line",
    "borrower_id": "Borrower id",
    "inspector_hint": "Pick a borrower to see its limit, balance, score and status month by month.",
    "inspector_summary": (
        "Borrower {row}: {kind}, habit {habit}, now {status} with a limit of {limit:,.0f} yuan, "
        "balance {balance:,.0f}, score {score:.0f}."
    ),
    "t_month": "month",
    "t_status": "status",
    "t_limit": "limit",
    "t_balance": "balance",
    "t_score": "score",
    "t_what": "what happened (the lender's reason)",
}

LEVER_TEXT: dict[str, LeverText] = {
    "population.borrowers": LeverText("Applicants", "borrowers"),
    "population.small_business_share": LeverText("Small-business share", percent=True),
    "population.habits.revolver": LeverText("Revolver share", percent=True),
    "population.habits.tester": LeverText("Tester share", percent=True),
    "population.habits.early_repayer": LeverText("Early-repayer share", percent=True),
    "population.habits.multi_lender": LeverText("Multi-lender share", percent=True),
    "population.habits.late_payer": LeverText("Late-payer share", percent=True),
    "lender.initial_limit": LeverText("First limit", "yuan"),
    "lender.limit_growth": LeverText("Limit growth after on-time months", percent=True),
    "lender.monitoring.sensitivity": LeverText("Monitoring sensitivity", "×", decimals=1),
    "lender.review.period_months": LeverText("Review period (0 = no reviews)", "months"),
    "lender.review.tightening_strength": LeverText("Review strength", percent=True),
    "lender.appeals.acceptance": LeverText("Appeal chance", percent=True),
    "recession_depth": LeverText("Recession depth", "sd of incomes", decimals=1),
    "recession_start": LeverText("Recession start", "month"),
}

@dataclass(frozen=True)
class LessonText:
    """A lesson's title (what the selector shows) and what the class should watch."""

    title: str
    watch: str


LESSON_TEXT: dict[str, LessonText] = {
    "tester_closed": LessonText(
        title="1. The tester gets closed",
        watch=(
            "Some borrowers 'test' the line: they borrow and repay within days, several "
            "times a month, and cost the lender almost nothing. Here the lender's monitoring "
            "is twice as sensitive and one strike closes the line. Watch the closures line "
            "jump in the first months, the testers' average limit fall in 'limits by habit', "
            "and the orange tester dots drop to the bottom of the scatter. Then press "
            "'A random tester' in the inspector and read the lender's reason."
        ),
    ),
    "reopened_short": LessonText(
        title="2. Closed, reopened, limit too low",
        watch=(
            "A closed line reopens after a three-month cool-off, but the lender treats it "
            "as a new customer: the limit is recalculated from the score, not restored. "
            "Watch reopenings follow closures three months later in the actions chart, and "
            "press 'A random reopened line' in the inspector: compare the limit before the "
            "closure with the limit after the reopening. Is the borrower riskier than before?"
        ),
    ),
    "system_adjustment": LessonText(
        title="3. The system adjustment",
        watch=(
            "Every six months the lender compares realised defaults with a strict risk "
            "appetite and re-tunes the whole book. Watch the monitor 'limit multiplier' and "
            "the total limit step down at a review month (12, 18, ... once defaults run above "
            "the appetite) for every habit at once, including prudent borrowers whose "
            "behaviour never changed. The inspector's reason reads 'system review'. Then "
            "watch the default rate: cutting everyone's room can raise it."
        ),
    ),
    "recession": LessonText(
        title="4. The recession",
        watch=(
            "From month 24 to 35 the economy is in recession: incomes fall together. Watch "
            "the default rate and losses rise with a delay of a few months, the next system "
            "review cut limits when borrowers need them most, and unmet demand grow. Switch "
            "the recession off (or change its depth) and press Reset to compare."
        ),
    ),
    "diversified_business": LessonText(
        title="5. The diversified small business",
        watch=(
            "Half the customers are small businesses. Some depend on the credit line "
            "alone; others also keep a bank loan, supply-chain finance and other online "
            "lenders open, as the article advises. Watch the funding chart: who goes short "
            "of working capital, and who fails. Then switch the recession on and press "
            "Reset. More doors open does not always mean fewer failures: the credit bureau "
            "shows every debt, and the credit line reads many lenders as risk."
        ),
    ),
    "baseline": LessonText(
        title="Free play: the baseline",
        watch=(
            "The baseline portfolio: a mix of habits, monitoring on, no system reviews and "
            "no recession. Move one lever at a time, press Reset, and compare."
        ),
    ),
}

LANGUAGES = {"en": ENGLISH}


def text(key: str, lang: str = "en", **values) -> str:
    """The page's string ``key`` in ``lang``, with ``values`` filled in."""
    message = LANGUAGES[lang][key]
    return message.format(**values) if values else message
