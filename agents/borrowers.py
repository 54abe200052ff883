"""Borrowers: individuals and small businesses, their habits, and their monthly rules.

The rules are compiled row rules run over a :class:`~agents.table.BorrowerTable`'s columns
(agents.line_rules); the Mesa agents below are views onto one row each. Types differ by rules (how they earn: salary vs
seasonal, sector-exposed revenue); habits are numbers (``config.habits.<habit>``).

Borrowers never write the lender's fields: they *request* draws, *pay* what they can, and
may *appeal*. The lender authorises, books and decides.
"""

from __future__ import annotations

import mesa
import numpy as np
from limitlab.agents import line_rules
from limitlab.agents.codes import HABITS, KINDS, STATUS_NAMES, Kind
from limitlab.agents.table import BorrowerTable

CENTS = 100


# ------------------------------------------------------------------ set-up of new rows
# habit-parameter columns of the borrower table -> their field in ``config.habits.<habit>``
HABIT_COLUMNS: dict[str, str] = {
    "draw_prob": "draw_prob",
    "draw_size": "draw_size",
    "target_util": "target_utilisation",
    "quick_cycles": "quick_cycles",
    "early_repay_prob": "early_repay_prob",
    "late_prob": "late_prob",
    "ext_borrow_prob": "external_borrow_prob",
    "appeal_prob": "appeal_prob",
    "normalise_prob": "normalise_prob",
    "relapse_prob": "relapse_prob",
}


def habit_values(cfg, column: str) -> np.ndarray:
    """The configured value of habit column ``column`` for each habit (index = habit code)."""
    field = HABIT_COLUMNS[column]
    return np.array([getattr(getattr(cfg.habits, h), field) for h in HABITS], dtype=np.float32)


# per-kind parameters of new rows, in the order of :func:`limitlab.agents.line_rules.fill_rows`'s table
KIND_FIELDS = ("median_monthly_income", "income_dispersion", "income_volatility",
               "spend_volatility", "spend_ratio", "initial_savings_months",
               "savings_cap_months")


class RowSetup:
    """A scenario's parameters for new rows as the tables :func:`limitlab.agents.line_rules.fill_rows`
    reads: per kind (:data:`KIND_FIELDS`), per habit column (:data:`HABIT_COLUMNS`) and
    per habit (instalment tenor, delay before normalising, spending multiplier)."""

    def __init__(self, cfg) -> None:
        pop = cfg.population
        self.kinds = np.array([[getattr(getattr(pop, k), f) for f in KIND_FIELDS] for k in KINDS],
                              dtype=np.float64)
        self.habits = np.array([habit_values(cfg, column) for column in HABIT_COLUMNS])
        hp = [getattr(cfg.habits, h) for h in HABITS]
        self.tenor = np.array([p.tenor_months for p in hp], dtype=np.int8)
        self.normalise_delay = np.array([p.normalise_delay_months for p in hp], dtype=np.int8)
        self.spend_mult = np.array([p.spend_multiplier for p in hp], dtype=np.float32)
        self.sectors = cfg.economy.sectors
        self.tables = line_rules.RowTables(
            self.kinds, self.habits, self.tenor, self.normalise_delay, self.spend_mult,
            self.sectors, HABITS.index("late_payer"), HABITS.index("multi_lender"),
            list(HABIT_COLUMNS).index("draw_size"))


def init_rows(
    table: BorrowerTable,
    rows: slice,
    kind: np.ndarray,
    habit: np.ndarray,
    cfg,
    u: np.ndarray,
    setup: RowSetup | None = None,
) -> None:
    """Fill hidden attributes and habit parameters of new applicants
    (:func:`limitlab.agents.line_rules.fill_rows`).

    Args:
        table: the borrower columns.
        rows: the new rows.
        kind, habit: codes per new row.
        cfg: the scenario configuration.
        u: standard normals, shape (4, k): income level, bureau record, external debt,
            starting income state.
        setup: ``cfg``'s :class:`RowSetup` (made here if not given).
    """
    t = table
    setup = setup or RowSetup(cfg)
    # the income level's lognormal factor by numpy's exp (the rest is compiled)
    spread = np.exp(setup.kinds[kind, KIND_FIELDS.index("income_dispersion")] * u[0])
    cols = line_rules.NewRowColumns(*(
        tuple(getattr(t, column) for column in HABIT_COLUMNS) if name == "habit_cols"
        else getattr(t, name) for name in line_rules.NewRowColumns._fields))
    line_rules.fill_rows(rows.start, line_rules.NewRows(kind, habit, u, spread), setup.tables,
                         cols)
    couple_solvency(t, rows, habit, cfg.population.habit_solvency_coupling)


# habits whose solvency ``population.habit_solvency_coupling`` ties to the habit: those the
# lender's monitoring and scorecard read as risk
COUPLED_HABITS = ("tester", "early_repayer", "multi_lender")


def solvency_factors(coupling: float) -> tuple[float, float]:
    """(cash buffer and cap factor, income volatility factor) of the coupled habits at
    ``coupling``: ``2^-s`` and ``1.5^s`` (both 1 at 0: habits independent of solvency)."""
    return 2.0 ** -coupling, 1.5 ** coupling


def couple_solvency(table: BorrowerTable, rows: slice, habit: np.ndarray,
                    coupling: float) -> None:
    """New rows of the :data:`COUPLED_HABITS` get a thinner (``coupling`` > 0) or thicker
    (< 0) cash buffer and savings cap and a more (or less) volatile income: a structural
    assumption (``population.habit_solvency_coupling``); at 0 nothing changes."""
    if coupling == 0.0:
        return
    buffer, volatility = solvency_factors(coupling)
    codes = [HABITS.index(h) for h in COUPLED_HABITS]
    idx = np.arange(rows.start, rows.stop)[np.isin(habit, codes)]
    t = table
    t.savings_cents[idx] = np.rint(t.savings_cents[idx] * buffer).astype(np.int64)
    t.savings_cap_cents[idx] = np.rint(t.savings_cap_cents[idx] * buffer).astype(np.int64)
    t.income_sigma[idx] = (t.income_sigma[idx] * volatility).astype(t.income_sigma.dtype)


# ---------------------------------------------------------------------- monthly rules
def set_income_loadings(table: BorrowerTable, rows: slice, rho: float, sector_rho: float) -> None:
    """Weights of the sector factor and the own shock in each new row's income (static)."""
    t = table
    sb = t.kind[rows] == Kind.SMALL_BUSINESS
    t.load_sector[rows] = np.where(sb, np.sqrt(sector_rho), 0.0)
    t.load_idio[rows] = np.where(sb, np.sqrt(max(1.0 - rho - sector_rho, 0.0)), np.sqrt(1.0 - rho))


def monthly_income(
    table: BorrowerTable,
    z_world: np.ndarray,
    sector_factors: np.ndarray | None,
    season: np.ndarray | None,
    rho: float,
    persistence: float,
    eps: np.ndarray,
) -> np.ndarray:
    """Income this month (cents) from the one-factor model.

    ``X = sqrt(rho)·Z_world + sqrt(sector_rho)·S_sector + sqrt(1-rho-sector_rho)·idio`` with
    ``idio`` an AR(1) of unit variance (``persistence``), and
    ``income = base · season · exp(sigma·X - sigma²/2)`` (mean ``base``); individuals have no
    sector term (their own-shock weight is ``sqrt(1-rho)``). Default happens when this cannot
    pay what is due, so with one month and no buffers the default fraction follows the
    Vasicek mixed binomial exactly. One compiled pass (``limitlab.agents.line_rules.income``).
    """
    t = table
    out = np.empty(t.n, dtype=np.int64)
    z, sector_ext, season_ext = income_factors(z_world, sector_factors, season, rho,
                                               int(t.sector.max(initial=-1)) + 1)
    line_rules.income(line_columns(t), eps,
                      line_rules.income_terms(z, sector_ext, season_ext, persistence), out)
    return out


def line_columns(table: BorrowerTable) -> line_rules.LineColumns:
    """The table's current views as the credit line's month reads them."""
    return line_rules.bundle(line_rules.LineColumns, table)


def income_factors(
    z_world: np.ndarray, sector_factors: np.ndarray | None, season: np.ndarray | None,
    rho: float, sectors: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The income kernels' view of the economy: ``sqrt(rho)`` x the factor of each world, and
    the sector factors and season per sector (``sectors`` at least), each followed by the
    neutral entry individuals (sector -1) pick."""
    width = max(sectors, 0 if sector_factors is None else len(sector_factors),
                0 if season is None else len(season))
    sector_ext = np.zeros(width + 1)
    season_ext = np.ones(width + 1)
    if sector_factors is not None:
        sector_ext[: len(sector_factors)] = sector_factors
    if season is not None:
        season_ext[: len(season)] = season
    return np.sqrt(rho) * np.asarray(z_world, dtype=np.float64), sector_ext, season_ext


def earn_and_spend(
    table: BorrowerTable, income: np.ndarray, spend: np.ndarray, u_ext: np.ndarray,
    external: bool = True,
) -> None:
    """Cash in and out: income, spending, external debt service and new external borrowing.

    Debt at other lenders amortises over a year at ~1.5% a month; multi-lenders top it up
    (a draw-sized amount when ``u_ext < ext_borrow_prob``). ``external=False`` when other
    lenders are modelled explicitly: new borrowing elsewhere then goes through them
    (model/channels.py) instead of this unmodelled debt. Cash is capped at the savings cap.
    """
    t = table
    line_rules.earn_and_spend(t.status, t.ext_debt_cents, t.savings_cents, t.savings_cap_cents,
                           income, spend, u_ext, t.ext_borrow_prob, t.draw_amount_cents, external)


# ------------------------------------------------------------------ Mesa agent views
class _Column:
    """Descriptor: ``agent.limit`` reads/writes ``limitlab.model.table.limit_cents[agent.row]``."""

    def __init__(self, column: str, scale: float = 1.0, labels: list[str] | None = None):
        self.column = column
        self.scale = scale
        self.labels = labels

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        v = getattr(obj.model.table, self.column)[obj.row]
        if self.labels is not None:
            return self.labels[int(v)]
        return v / self.scale if self.scale != 1.0 else v.item()

    def __set__(self, obj, value):
        if self.labels is not None:
            value = self.labels.index(value)
        getattr(obj.model.table, self.column)[obj.row] = (
            round(value * self.scale) if self.scale != 1.0 else value
        )


class Borrower(mesa.Agent):
    """A borrower as a Mesa agent: a view onto row ``row`` of the model's borrower table.

    Reading ``agent.limit`` or ``agent.score`` reads the column; the monthly rules never
    touch agent objects, so a model with 100,000 borrowers runs at numpy speed, and
    ``limitlab.model.agents_by_type[Individual]`` still works for inspection and visualisation.
    """

    kind_name: str = ""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def borrower_id(self) -> int:
        return self.row

    kind = _Column("kind", labels=list(KINDS))
    habit = _Column("habit", labels=list(HABITS))
    status = _Column("status", labels=STATUS_NAMES)
    limit = _Column("limit_cents", scale=CENTS)
    balance = _Column("balance_cents", scale=CENTS)
    savings = _Column("savings_cents", scale=CENTS)
    score = _Column("score")
    pd_estimate = _Column("pd_estimate")
    opened_month = _Column("opened_month")
    dpd_months = _Column("dpd_months")

    def step(self) -> None:  # pragma: no cover - the rules run over all rows at once
        """Nothing: the month's rules run over all rows at once (see CreditMarketModel.step)."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.row}, habit={self.habit}, status={self.status}, "
            f"limit={self.limit:.2f}, balance={self.balance:.2f})"
        )


class Individual(Borrower):
    """Salary income with consumption shocks."""

    kind_name = "individual"


class SmallBusiness(Borrower):
    """Seasonal, more volatile revenue with a sector factor and working-capital gaps."""

    kind_name = "small_business"

    sector = _Column("sector")
