"""Your own lender rule, in one Python file, named in the scenario.

A custom rule is a module (a path to a ``.py`` file, or an importable module name) that
defines:

- ``REASON``: the name of its reason code (lower-case snake_case, e.g.
  ``"high_utilisation"``): the name every output and report gives its events;
- ``TEMPLATE`` (optional): the plain words of its events, with ``{v}`` for the event's value,
  e.g. ``"utilisation above 95% for {v:.0f} months"``;
- ``apply(rule)``: called once a month after the lender's compiled rules (monitoring, risk
  management, step increases) and before restrictions end, reviews and appeals, with a
  :class:`RuleContext`.

It is named in the scenario TOML, with its parameters::

    [[lender.custom_rules]]
    module = "experiments/examples/utilisation_cut.py"
    params = { threshold = 0.95, months = 3, cut = 0.5 }

The rule sees only what the lender sees (the table's lender-side columns: limits, balances,
status, the score and behaviour counts) and acts only through the context's actions, which
book every change the way the built-in rules do: the event log, the reasons table, the
restriction a borrower may appeal, the trade-off's judgement of restrictive actions.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from limitlab.agents.codes import MAX_REASON_CODE, REASON_NAMES, Action, Status

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def load(module: str) -> ModuleType:
    """The rule's module, from a ``.py`` path or an importable name, checked.

    Raises:
        ValueError: it cannot be found or imported, or lacks ``REASON`` or ``apply``.
    """
    if module.endswith(".py"):
        path = Path(module)
        if not path.is_file():
            raise ValueError(f"{module!r}: no such file")
        spec = importlib.util.spec_from_file_location(f"limitlab_custom_rule_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:  # the user's code: any error is reported in one line
            raise ValueError(f"{module!r} cannot be loaded: {exc.__class__.__name__}: {exc}") from None
    else:
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(f"{module!r} cannot be imported ({exc}); give a .py path or a "
                             "module name on the Python path") from None
    reason = getattr(mod, "REASON", None)
    if not isinstance(reason, str) or not _NAME.match(reason):
        raise ValueError(f"{module!r} must define REASON, a lower-case snake_case name "
                         f"(got {reason!r})")
    if not callable(getattr(mod, "apply", None)):
        raise ValueError(f"{module!r} must define apply(rule), called once a month")
    return mod


@dataclass
class RuleContext:
    """What a custom rule sees and can do in a month.

    Attributes:
        lender: the lender (its ``table`` is the book; read the lender-side columns).
        month: the current month as the outputs number it, counted from the first reported
            month (negative during a burn-in): a rule scheduled "from month 24" compares this.
        params: the rule's ``params`` from the scenario.
        state: a dict kept from month to month for this rule (e.g. per-row counters).
        reason: the rule's reason code.
        book_month: the model's own month, counted from the book's opening (``month`` plus
            ``burn_in_months``): the clock of the table's month columns (``opened_month``,
            ``last_limit_change``, ...), e.g. a line's tenure is ``book_month - opened_month``.
    """

    lender: Lender
    month: int
    params: dict[str, Any]
    state: dict[str, Any]
    reason: int
    book_month: int = 0

    @property
    def table(self):
        return self.lender.table

    def open_rows(self) -> np.ndarray:
        """Rows with an active (open, not frozen) line."""
        return np.flatnonzero(self.table.status == Status.ACTIVE)

    def cut_limits(self, rows: np.ndarray, new_limits_cents: np.ndarray, value=0.0) -> None:
        """Lower the limits of ``rows`` to ``new_limits_cents`` (never raises one): a
        ``limit_down`` event with this rule's reason."""
        rows = np.asarray(rows, dtype=np.int64)
        new = np.minimum(np.asarray(new_limits_cents, dtype=np.int64), self.table.limit_cents[rows])
        keep = new < self.table.limit_cents[rows]
        if keep.any():
            v = np.broadcast_to(np.asarray(value, dtype=np.float64), rows.shape)[keep]
            self.lender.set_limit(rows[keep], new[keep], Action.LIMIT_DOWN, self.reason, v)

    def close(self, rows: np.ndarray, value=0.0) -> None:
        """Close the lines of ``rows`` until the monitoring cool-off ends (a restriction the
        borrower may appeal): a ``close`` event with this rule's reason."""
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[self.table.status[rows] <= Status.FROZEN]
        if rows.size:
            v = np.broadcast_to(np.asarray(value, dtype=np.float64), rows.shape)
            self.lender.close(rows, np.full(rows.size, self.reason, dtype=np.int8), v)


@dataclass
class CustomRules:
    """The scenario's custom rules, loaded once per model, applied in their order.

    Their reasons get the codes after the built-in ones, in the scenario's order, so a run's
    codes depend on its configuration only; outputs carry the names (:attr:`names`)."""

    rules: list[tuple[ModuleType, dict[str, Any], int]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # reason names, by code - len(REASON_NAMES)
    templates: dict[int, str] = field(default_factory=dict)  # code -> plain words

    @classmethod
    def from_config(cls, specs) -> CustomRules:
        out = cls()
        for spec in specs:
            mod = load(spec.module)
            if mod.REASON in REASON_NAMES or mod.REASON in out.names:
                raise ValueError(f"{spec.module!r}: REASON {mod.REASON!r} is already a reason; "
                                 "give each rule a name of its own")
            code = len(REASON_NAMES) + len(out.names)
            if code > MAX_REASON_CODE:
                raise ValueError(f"at most {MAX_REASON_CODE + 1 - len(REASON_NAMES)} custom rules")
            out.names.append(mod.REASON)
            out.templates[code] = str(getattr(mod, "TEMPLATE", ""))
            out.rules.append((mod, dict(spec.params), code))
            out.states.append({})
        return out

    def apply(self, lender: Lender) -> None:
        m = lender.model.month
        month = m - getattr(lender.model, "first_month", 0)  # counted from the first reported month
        for (mod, params, code), state in zip(self.rules, self.states):
            mod.apply(RuleContext(lender, month, params, state, code, m))
