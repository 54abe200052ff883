"""System reviews: every ``review.period_months`` the lender compares realised defaults with
its risk appetite and re-tunes its policy.

Above appetite the limit multiplier and PD cut-offs tighten by ``tightening_strength``
(scaled by how far above), every open line is cut in proportion, and marginal accounts are
closed — whatever the borrower did. Below appetite the policy loosens back towards its
starting point, and nobody's limit is cut.

The lender's economics can call for the same tightening (:func:`economic_pressure`): a
capital ratio (capital available / risk-weighted assets at the last month's end) under
its target, or a funding-cost shock in force when the lender is told to act on it. The
review then tightens by the larger of the pressures, defaults' included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import Action, Reason, Status

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender


class ReviewParams(NamedTuple):
    period_months: int
    lookback_months: int
    strength: float  # tightening_strength
    appetite: float  # the annualised default rate the lender accepts
    close_marginal: bool
    limit_multiplier_floor: float
    pd_scale_floor: float
    pd_scale_factor: float


def params(lender: Lender) -> ReviewParams:
    rc = lender.cfg.review
    return ReviewParams(rc.period_months, rc.lookback_months, rc.tightening_strength,
                        lender.cfg.risk_appetite, rc.close_marginal, rc.limit_multiplier_floor,
                        rc.pd_scale_floor, rc.pd_scale_factor)


def due(p: ReviewParams, month: int, first_month: int = 0) -> bool:
    """A review every ``period_months``, counted from ``first_month`` (the first reported
    month; a burn-in's reviews fall on the same rhythm before it), never in month 0."""
    return p.period_months > 0 and month > 0 and (month - first_month) % p.period_months == 0


def realised_rate(history: list[tuple[int, int]], p: ReviewParams) -> float:
    """Annualised default rate over the look-back: new defaults / accounts with a balance."""
    hist = history[-p.lookback_months:]
    defaults = sum(h[0] for h in hist)
    exposure = sum(h[1] for h in hist)
    return 12.0 * defaults / exposure if exposure else 0.0


def tighten(limit_multiplier: float, pd_scale: float, ratio: float,
            p: ReviewParams) -> tuple[float, float, float]:
    """Realised defaults ``ratio`` x the appetite (above 1): the step (``strength`` x the
    excess, at most ``strength``), and the tightened limit multiplier and PD scale."""
    step = p.strength * min(1.0, ratio - 1.0)
    return (step, max(p.limit_multiplier_floor, limit_multiplier * (1.0 - step)),
            max(p.pd_scale_floor, pd_scale * (1.0 - p.pd_scale_factor * step)))


def loosen(limit_multiplier: float, pd_scale: float, ratio: float,
           p: ReviewParams) -> tuple[float, float, float]:
    """Realised defaults below the appetite: the policy moves back towards 1."""
    step = p.strength * (1.0 - ratio)
    return (step, min(1.0, limit_multiplier * (1.0 + step)),
            min(1.0, pd_scale * (1.0 + p.pd_scale_factor * step)))


def cut_book(lender: Lender, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """A tightening review's actions: every open line's limit times ``factor`` (a
    restriction; a review takes away unused room, never more: the floor is the balance or
    half a first limit, whichever is higher), then, with ``close_marginal``, the open lines
    above the new closing cut-off close. Returns (rows cut, rows closed)."""
    t = lender.table
    pol = lender.policy
    open_ = (t.status == Status.ACTIVE) | (t.status == Status.FROZEN)
    cand = np.flatnonzero(open_)
    floor = np.maximum(lender.initial_limit(cand) // 2, t.balance_cents[cand])
    new = np.maximum(np.round(t.limit_cents[cand] * factor).astype(np.int64), floor)
    sel = new < t.limit_cents[cand]
    cut_rows = cand[sel]
    lender.restrict(cut_rows, Reason.SYSTEM_REVIEW)
    lender.set_limit(cut_rows, new[sel], Action.LIMIT_DOWN, Reason.SYSTEM_REVIEW,
                     pol.limit_multiplier)
    closed_rows = np.empty(0, dtype=np.int64)
    if lender.cfg.review.close_marginal:
        closed_rows = np.flatnonzero(
            open_ & (t.pd_estimate > lender.cfg.close_pd * pol.pd_scale)
            & (t.status <= Status.FROZEN)
        )
        lender.close(closed_rows, Reason.SYSTEM_REVIEW, pol.limit_multiplier)
    return cut_rows, closed_rows


def economic_pressure(lender: Lender) -> float:
    """The economics' call for tightening, as a multiple of what the lender accepts (above
    1 tightens, like realised defaults over appetite; 0 when nothing calls for it):
    ``target ratio / (available capital / RWA)`` when capital is limited
    (``lender.capital.available`` > 0) and short, and ``(funding rate + shock) / funding
    rate`` while a funding shock is in force with ``lender.costs.review_on_funding_shock``."""
    cfg = lender.cfg
    m = lender.model.month - getattr(lender.model, "first_month", 0)  # the reported month
    pressure = 0.0
    cap = cfg.capital
    econ = getattr(lender.model.recorder, "economics", None)
    if cap.available > 0 and econ is not None:
        rwa = econ.last()["rwa"]
        if rwa > 0 and 100.0 * cap.available < cap.ratio * rwa:
            pressure = cap.ratio * rwa / (100.0 * cap.available)
    c = cfg.costs
    if c.review_on_funding_shock and c.funding_shock_rate > 0 and 0 < c.funding_shock_month <= m:
        base = cfg.funding_rate
        pressure = max(pressure, (base + c.funding_shock_rate) / base if base > 0 else 2.0)
    return pressure


def review(lender: Lender) -> None:
    """The month's system review, if one is due: re-tune the policy (:func:`tighten` or
    :func:`loosen`), cut the book when tightening (:func:`cut_book`, only with restrictive
    actions on), and keep the review's record."""
    p = params(lender)
    m = lender.model.month
    if not due(p, m, getattr(lender.model, "first_month", 0)):
        return
    realised = realised_rate(lender.default_history, p)
    ratio = max(realised / p.appetite, economic_pressure(lender))
    pol = lender.policy
    before = (pol.limit_multiplier, pol.pd_scale)
    cut_rows = closed_rows = np.empty(0, dtype=np.int64)
    if ratio > 1.0:
        step, pol.limit_multiplier, pol.pd_scale = tighten(*before, ratio, p)
        direction = "tighten" if step > 0 else "hold"
        if step > 0 and lender.cfg.restrictive_actions:
            cut_rows, closed_rows = cut_book(lender, 1.0 - step)
    else:
        step, pol.limit_multiplier, pol.pd_scale = loosen(*before, ratio, p)
        direction = "loosen" if pol.limit_multiplier > before[0] else "hold"
    pol.reviews.append({
        "month": m,
        "realised_default_rate": realised,
        "risk_appetite": p.appetite,
        "direction": direction,
        "limit_multiplier_before": before[0],
        "limit_multiplier_after": pol.limit_multiplier,
        "pd_scale_after": pol.pd_scale,
        "limits_cut": int(cut_rows.size),
        "accounts_closed": int(closed_rows.size),
    })
