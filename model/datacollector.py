"""Mesa's ``DataCollector`` interface over the recorder, so Mesa's own tools work on the model.

``mesa.batch_run`` and Mesa's plot components read ``model.datacollector``: its
``model_vars`` (one list per variable, one value per collected step), ``_collection_steps``
and ``get_model_vars_dataframe()``. limitlab records every month in its columnar recorder
(:mod:`limitlab.model.recorder`); this view offers the recorder's monthly portfolio table in
that shape, built only when it is read (the month pays nothing for it). The model variables
are the columns of ``monthly.parquet``: money in yuan, rates as fractions; step *m* is month
*m* (step 0: the opening book).

Borrowers are rows of a table, not Python objects, so there are no agent reporters:
``get_agent_vars_dataframe()`` is empty; borrower-level data is ``borrowers.parquet`` and
``events.parquet`` of a run (:func:`limitlab.model.run.simulate`).
"""

from __future__ import annotations

import pandas as pd


class RecorderDataCollector:
    """A read-only, Mesa-compatible ``DataCollector`` for a :class:`CreditMarketModel`."""

    def __init__(self, model) -> None:
        self._model = model
        self._cached_months = -1
        self._frame: pd.DataFrame | None = None

    def _monthly(self) -> pd.DataFrame:
        rec = self._model.recorder
        if len(rec.months) != self._cached_months:
            frame = rec.monthly().drop(columns=["lender"], errors="ignore")
            self._frame = frame.set_index("month").rename_axis("Step")
            self._cached_months = len(rec.months)
        return self._frame

    @property
    def model_reporters(self) -> dict[str, str]:
        """The variables offered (name → where it comes from)."""
        return {c: f"monthly.{c}" for c in self._monthly().columns}

    agent_reporters: dict = {}  # noqa: RUF012

    @property
    def model_vars(self) -> dict[str, list]:
        """One list per variable, one value per collected step (Mesa's layout)."""
        return {c: col.tolist() for c, col in self._monthly().items()}

    @property
    def _collection_steps(self) -> list[int]:
        return [int(m) for m in self._monthly().index]

    # no agent or agent-type reporters: borrowers are table rows
    agenttype_reporters: dict = {}  # noqa: RUF012 (read-only)
    _agent_records: dict = {}  # noqa: RUF012
    _agenttype_records: dict = {}  # noqa: RUF012

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The monthly portfolio table, one row per step (index ``Step`` = month)."""
        return self._monthly().copy()

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Empty: borrowers are table rows (see ``borrowers.parquet`` of a run)."""
        return pd.DataFrame()

    def collect(self, model) -> None:
        """Nothing to do: the recorder collects every month as part of the model's step."""
