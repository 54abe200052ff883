"""tools/calibration_table.py prints the targets against the model; the peak dpd30 measure."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from limitlab.experiments.calibration.targets import MEASURES, OUTPUT_PHRASES

TOOL = Path(__file__).resolve().parent.parent / "tools" / "calibration_table.py"


def test_peak_dpd30_is_the_highest_month_of_the_window():
    seg = pd.DataFrame({"month": [1, 2, 3], "kind": "individual", "habit": "prudent",
                        "outstanding": [100.0, 200.0, 100.0], "dpd30_rate": [0.01, 0.05, 0.02]})
    peak = MEASURES["peak_dpd30_rate"].of({"segments": seg}, "individuals", 12)
    assert peak == pytest.approx(0.05)
    assert OUTPUT_PHRASES["peak dpd30_rate"] == "peak_dpd30_rate"


def test_the_table_lists_every_primary_target(capsys):
    spec = importlib.util.spec_from_file_location("calibration_table", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--replicates", "1", "--borrowers", "150", "--months", "6",
                      "--compact"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0] == "| target | published | model | within |"
    assert any(r.startswith("| ant_consumer_dpd30_2019 |") for r in rows)
    assert all(r.rstrip().endswith(("| yes |", "| no |")) for r in rows[1:])
