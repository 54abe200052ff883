"""The event log: every lender action (and later, borrower action) with its reason.

Events are appended as whole numpy batches (one per rule per month), never row by row, and
turned into a table once at the end. Counting by (action, reason) happens on the batches so
that summary tables exist even when the full log is switched off for big batches.
"""

from __future__ import annotations

import numpy as np
from limitlab.agents.codes import ACTION_NAMES, Action, Actor, Reason
from limitlab.agents.numerics import jit


@jit
def group_by_code(codes, ids):
    """``ids`` grouped by their ``codes`` (small non-negative ints), ascending code, in
    their order within a code (a counting sort). Returns (the grouped ids, the codes
    present, where each group starts, one past where it ends)."""
    top = 0
    for c in codes:
        top = max(top, np.int64(c))
    counts = np.zeros(top + 1, dtype=np.int64)
    for c in codes:
        counts[c] += 1
    present = 0
    for c in range(top + 1):
        present += counts[c] > 0
    code = np.empty(present, dtype=np.int64)
    start = np.empty(present, dtype=np.int64)
    end = np.empty(present, dtype=np.int64)
    nxt = np.empty(top + 1, dtype=np.int64)
    k = pos = 0
    for c in range(top + 1):
        nxt[c] = pos
        if counts[c] > 0:
            code[k] = c
            start[k] = pos
            end[k] = pos + counts[c]
            k += 1
        pos += counts[c]
    out = np.empty(ids.size, dtype=np.int64)
    for j in range(ids.size):
        c = codes[j]
        out[nxt[c]] = ids[j]
        nxt[c] += 1
    return out, code, start, end



class EventLog:
    """Collects event batches; ``keep=False`` keeps only this month's batches (for counting)."""

    NAMES = ("month", "borrower_id", "actor", "action", "reason", "old_limit_cents",
             "new_limit_cents", "value")
    DTYPES = (np.int32, np.int64, np.int8, np.int8, np.int8, np.int64, np.int64, np.float32)

    def __init__(self, keep: bool = True, lender: str = "credit_line") -> None:
        self.keep = keep
        self.lender = lender
        self._cols: dict[str, list[np.ndarray]] = {n: [] for n in self.NAMES}
        self._merged = 0  # parts before this index are whole months, merged
        self.month_batches: list[tuple[int, int, int, np.ndarray]] = []  # (action, reason, actor, ids)

    def start_month(self) -> None:
        """A new month: last month's batches are merged into one array per column, so
        the log holds a part per month rather than per rule (and consolidating a long
        run's log at the end needs little more than the log itself)."""
        self.month_batches = []
        for parts in self._cols.values():
            if len(parts) - self._merged > 1:
                parts[self._merged:] = [np.concatenate(parts[self._merged:])]
        self._merged = len(self._cols["month"])

    def add(
        self,
        month: int,
        ids: np.ndarray,
        action: Action,
        reason: Reason | np.ndarray,
        old_limit: np.ndarray | int = 0,
        new_limit: np.ndarray | int = 0,
        value: np.ndarray | float = 0.0,
        actor: Actor = Actor.LENDER,
    ) -> None:
        """Record one batch: ``ids`` borrowers got ``action`` for ``reason`` this month."""
        ids = np.asarray(ids, dtype=np.int64)
        k = ids.size
        if k == 0:
            return
        if isinstance(reason, int) or np.ndim(reason) == 0:  # (np.ndim of an enum: ~2 us)
            self.month_batches.append((int(action), int(reason), int(actor), ids))
        else:  # one batch per reason present, in reason order
            grouped, codes, start, end = group_by_code(np.asarray(reason, dtype=np.int8), ids)
            for r, a, b in zip(codes.tolist(), start.tolist(), end.tolist()):
                self.month_batches.append((int(action), r, int(actor), grouped[a:b]))
        if not self.keep:
            return
        reasons = np.broadcast_to(np.asarray(reason, dtype=np.int8), (k,))
        if ids.base is not None:  # a view: keep only its rows, not the array behind it
            ids = ids.copy()
        parts = (
            np.full(k, month, dtype=np.int32),
            ids,
            np.full(k, int(actor), dtype=np.int8),
            np.full(k, int(action), dtype=np.int8),
            np.array(reasons, dtype=np.int8),
            np.broadcast_to(np.asarray(old_limit, dtype=np.int64), (k,)).copy(),
            np.broadcast_to(np.asarray(new_limit, dtype=np.int64), (k,)).copy(),
            np.broadcast_to(np.asarray(value, dtype=np.float32), (k,)).copy(),
        )
        for name, arr in zip(self.NAMES, parts):
            self._cols[name].append(arr)

    def columns(self) -> dict[str, np.ndarray]:
        """All kept events as columns (codes, not strings), in the order they happened.

        Consolidates column by column, so at most one column is ever held twice.
        """
        out = {}
        for name, dt in zip(self.NAMES, self.DTYPES):
            parts = self._cols[name]
            if len(parts) != 1:
                merged = np.concatenate(parts) if parts else np.empty(0, dtype=dt)
                parts.clear()
                parts.append(merged)
            out[name] = parts[0]
        self._merged = len(self._cols["month"])
        return out

    def clear(self) -> None:
        """Drop every kept event (the month's batches stay)."""
        self._cols = {n: [] for n in self.NAMES}
        self._merged = 0

    def __len__(self) -> int:
        return sum(c.size for c in self._cols["month"])


__all__ = ["EventLog", "ACTION_NAMES"]
