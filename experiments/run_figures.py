"""A few figures for a single run, written beside its Parquet files.

The full report (``limitlab report``) draws many more; these are the quick look every
``limitlab run`` leaves in ``figures/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_run_figures(tables: dict[str, pd.DataFrame], out_dir: Path, *, dpi: int = 100) -> list[Path]:
    """Draw the portfolio, limits-by-habit and reasons figures of a run as PNG files.

    Args:
        tables: The run's tables (``monthly``, ``segments``, ``reasons``).
        out_dir: Directory to write ``portfolio.png``, ``limits_by_habit.png`` and
            ``reasons.png`` into (created if needed).
        dpi: Resolution of the PNG files.

    Returns:
        The paths written.
    """
    from limitlab.experiments import plots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in (
        ("portfolio", plots.plot_portfolio(tables["monthly"])),
        ("limits_by_habit", plots.plot_limits_by_segment(tables["segments"], by="habit")),
        ("reasons", plots.plot_reasons(tables["reasons"])),
    ):
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=dpi)  # a plain Figure: nothing to close, no pyplot state
        written.append(path)
    return written
