"""A few figures for a single run, written beside its Parquet files.

The full report (``limitlab report``) draws many more; these are the quick look every
``limitlab run`` leaves in ``figures/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_run_figures(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from experiments import plots

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in (
        ("portfolio", plots.plot_portfolio(tables["monthly"])),
        ("limits_by_habit", plots.plot_limits_by_segment(tables["segments"], by="habit")),
        ("reasons", plots.plot_reasons(tables["reasons"])),
    ):
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
