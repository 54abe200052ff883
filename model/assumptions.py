"""The structural assumptions behind the headline findings, as schema fields.

Each is a key of :class:`limitlab.model.config.ScenarioConfig` whose default is the choice the
model made before it was a key (docs/model.md, "Structural assumptions");
``limitlab robustness`` re-runs the findings across them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

Evidence = Literal["true_state", "documents"]
Routes = Literal["all", "needs_only"]

# population.habit_solvency_coupling (agents.borrowers.couple_solvency)
HABIT_SOLVENCY_COUPLING = Field(
    0.0, ge=-1.0, le=1.0,
    description="signed strength by which testers, early repayers and multi-lenders are "
    "less solvent (cash buffer and cap x 2^-s, income volatility x 1.5^s; 0 = habits "
    "independent of solvency, -1 = sounder)",
)
# lender.appeals.evidence (agents.lender.appeals.evidence_of)
APPEAL_EVIDENCE = Field(
    "true_state",
    description="what appeals see: true_state = the borrower's cash buffer and income "
    "state; documents = only what the lender could see (its own PD estimate from its "
    "records, the bureau and declared income)",
)
# channels.* (agents.channel_kernels.bureau_add, model.channels.Channels.fund)
BUREAU_COUNTS_UNUSED_LINES = Field(
    True,
    description="the bureau counts open lines with no balance among a borrower's lenders "
    "(else only lines owed on)",
)
DIVERSIFIED_ROUTES = Field(
    "all",
    description="what diversified businesses borrow from other channels: all = working-"
    "capital needs and discretionary purchases; needs_only = working capital only",
)
DIVERSIFIED_ALWAYS_APPLY_BANK = Field(
    True,
    description="diversified businesses apply to the bank in advance every month (else "
    "only when short)",
)


def coupled_kind(kind, coupling: float):
    """``kind`` (model.config.KindParams) as the coupled habits may have it at ``coupling``:
    income volatility up to 1.5x, savings cap up to 2x (for the int64 bound)."""
    vol, cap = 1.5 ** max(coupling, 0.0), 2.0 ** max(-coupling, 0.0)
    if vol == 1.0 and cap == 1.0:
        return kind
    return kind.model_copy(update={"income_volatility": kind.income_volatility * vol,
                                   "savings_cap_months": kind.savings_cap_months * cap})
