"""Your own lender rule in one file, named in a scenario: its events and reason code reach
every output and the report."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from limitlab.experiments.cli import main
from limitlab.experiments.report import build_report

RULE = '''
import numpy as np

REASON = "always_over_half"
TEMPLATE = "balance above half the limit for {v:.0f} months"


def apply(rule):
    t = rule.table
    rows = rule.open_rows()
    high = rows[t.balance_cents[rows] * 2 > t.limit_cents[rows]]
    seen = rule.state.setdefault("months", 0) + 1
    rule.state["months"] = seen
    if rule.month % 6 == 0 and high.size:
        rule.cut_limits(high, t.limit_cents[high] - 100, value=float(seen))
'''


def _scenario(tmp_path, module: str) -> str:
    p = tmp_path / "mine.toml"
    p.write_text(textwrap.dedent(f'''
        name = "mine"
        [[lender.custom_rules]]
        module = "{module}"
    '''))
    return str(p)


def test_a_rule_from_a_scenario_file_reaches_events_and_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_rule.py").write_text(RULE)
    out = tmp_path / "run"
    assert main(["run", _scenario(tmp_path, "my_rule.py"), "--borrowers", "400", "--months",
                 "18", "--quiet", "--out", str(out)]) == 0
    ev = pd.read_parquet(out / "events.parquet")
    mine = ev[ev["reason"] == "always_over_half"]
    assert len(mine) > 0 and set(mine["action"]) == {"limit_down"}
    assert set(mine["month"]) <= {6, 12, 18}
    assert (mine["new_limit"] == mine["old_limit"] - 1.0).all()  # 100 cents
    assert mine["detail"].str.startswith("limit cut: balance above half the limit for").all()
    reasons = pd.read_parquet(out / "reasons.parquet")
    assert reasons.loc[reasons["reason"] == "always_over_half", "count"].sum() == len(mine)
    page = build_report(out).read_text()
    assert "always_over_half" in page or "always over half" in page


def test_the_shipped_example_cuts_lines_held_near_their_limit(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "custom_rule", "--borrowers", "600", "--months", "24", "--quiet",
                 "--no-figures", "--out", str(out)]) == 0
    ev = pd.read_parquet(out / "events.parquet")
    cut = ev[ev["reason"] == "high_utilisation"]
    assert len(cut) > 0 and (cut["new_limit"] < cut["old_limit"]).all()
    assert (cut["value"] >= 3).all()  # three month-ends above 95% before a cut


@pytest.mark.parametrize("body, fragment", [
    ("x = 1\n", "must define REASON"),
    ("REASON = 'Bad Name'\ndef apply(rule): pass\n", "lower-case snake_case"),
    ("REASON = 'ok_name'\n", "must define apply"),
    ("raise RuntimeError('boom')\n", "cannot be loaded: RuntimeError: boom"),
])
def test_a_broken_rule_is_one_line_before_anything_runs(tmp_path, monkeypatch, capsys, body, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(body)
    assert main(["run", _scenario(tmp_path, "bad.py"), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and fragment in err and "lender.custom_rules" in err
    assert not (tmp_path / "o").exists()
