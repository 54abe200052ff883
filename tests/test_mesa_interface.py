"""Mesa's own conventions work on the model: ``mesa.batch_run`` and ``model.datacollector``."""

from __future__ import annotations

import multiprocessing

import mesa
import pytest
from limitlab.model.credit_market import CreditMarketModel


@pytest.fixture
def keep_start_method():
    """mesa.batch_run sets the process start method to "spawn" for the whole process."""
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def test_mesa_batch_run_reads_the_models_variables(keep_start_method):
    results = mesa.batch_run(
        CreditMarketModel,
        parameters={"population__borrowers": 300, "lender__monitoring__sensitivity": [0.5, 2.0]},
        max_steps=6, number_processes=1, data_collection_period=-1,
        display_progress=False, rng=[7],
    )
    assert len(results) == 2
    for row in results:
        assert row["Step"] == 6
        assert row["population__borrowers"] == 300
        assert row["outstanding"] > 0 and 0 <= row["utilisation"] <= 1
    # the variables are the model's own: the same run stepped by hand gives the same values
    model = CreditMarketModel(rng=7, population__borrowers=300, lender__monitoring__sensitivity=2.0,
                              create_agents=False)
    for _ in range(6):
        model.step()
    by_hand = model.datacollector.get_model_vars_dataframe().iloc[-1]
    mine = next(r for r in results if r["lender__monitoring__sensitivity"] == 2.0)
    assert mine["outstanding"] == pytest.approx(by_hand["outstanding"])
    assert mine["new_defaults"] == by_hand["new_defaults"]


def test_datacollector_has_one_row_per_month():
    model = CreditMarketModel(population__borrowers=200, create_agents=False, rng=1)
    model.run(4)
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df.index) == [0, 1, 2, 3, 4] and df.index.name == "Step"
    assert model.datacollector._collection_steps == [0, 1, 2, 3, 4]
    assert set(model.datacollector.model_vars) == set(df.columns)
    assert model.datacollector.get_agent_vars_dataframe().empty
