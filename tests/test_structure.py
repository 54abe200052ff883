"""The code's shape: kernels read named bundles, not long lists of positional arguments,
and no module grows past :data:`MAX_MODULE_LINES` lines.

A kernel that takes a column or a parameter by position can have two of them swapped and
still compile and run; a NamedTuple bundle is read by name. No function in ``agents/``
takes more than :data:`MAX_PARAMETERS` parameters (``self``/``cls`` not counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

AGENTS = Path(__file__).resolve().parent.parent / "agents"
MAX_PARAMETERS = 10


def parameter_counts(root: Path) -> dict[str, int]:
    """``module:function`` -> its parameters, for every function defined under ``root``."""
    out: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
                if names and names[0] in ("self", "cls"):
                    names = names[1:]
                n = len(names) + (a.vararg is not None) + (a.kwarg is not None)
                out[f"{path.relative_to(root.parent)}:{node.name}"] = n
    return out


def test_no_function_in_agents_takes_more_than_ten_parameters():
    counts = parameter_counts(AGENTS)
    assert len(counts) > 100  # the scan sees the package
    too_many = {name: n for name, n in counts.items() if n > MAX_PARAMETERS}
    assert too_many == {}, f"pass a NamedTuple bundle instead: {too_many}"


MAX_MODULE_LINES = 1000


def test_every_module_is_under_a_thousand_lines():
    """A module a reader can hold: split by concern before it grows past this."""
    root = AGENTS.parent
    sizes = {str(p.relative_to(root)): len(p.read_text().splitlines())
             for folder in ("agents", "model", "experiments") for p in (root / folder).rglob("*.py")}
    assert len(sizes) > 50
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert too_long == {}, f"split these by concern: {too_long}"


def test_the_scan_counts_every_kind_of_parameter(tmp_path):
    pkg = tmp_path / "agents"
    pkg.mkdir()
    (pkg / "m.py").write_text(
        "def f(a, /, b, *args, c, **kw): pass\n"
        "class K:\n"
        "    def g(self, a, b): pass\n")
    assert parameter_counts(pkg) == {"agents/m.py:f": 5, "agents/m.py:g": 2}


def test_score_from_pd_is_points_of_the_log_odds_of_the_pd():
    """The score has one formula (agents.lender.scorecard.points_of): applicants' and
    reopenings' scores, from a PD, are its points at the PD's log-odds."""
    import numpy as np
    from limitlab.agents.lender.scorecard import (
        DEFAULT_SCALE,
        pd_of,
        points_of,
        score_from_pd,
        score_params,
    )

    rng = np.random.default_rng(5)
    pd = np.concatenate([np.float32([0.0, 1e-9, 1e-6, 0.03, 0.5, 1 - 1e-6, 1.0]),
                         rng.random(2000, dtype=np.float32)])
    clipped = np.clip(pd, 1e-6, 1 - 1e-6)
    s = score_params(0.0, np.zeros(1), DEFAULT_SCALE)
    by_row = [points_of.py_func(s, -float(np.log((1 - q) / q))) for q in clipped]
    assert np.array_equal(score_from_pd(pd), np.array(by_row, dtype=np.float32))
    assert score_from_pd(np.float32([0.03]))[0] == np.float32(650.0)
    assert abs(float(points_of.py_func(s, -3.4760986898352733 - np.log(2.0))) - 700.0) < 1e-9
    assert float(pd_of.py_func(np.log(0.03 / 0.97))) == np.float32(0.03)
