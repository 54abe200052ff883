"""The credit-line lender: one module per rule (parameters, condition, action, reason codes
and events together), the month's order in :mod:`~limitlab.agents.lender.month`.

- :mod:`~limitlab.agents.lender.applications`: applicants opened or rejected
- :mod:`~limitlab.agents.lender.books`: charge-offs, memory of behaviour, the monthly score
- :mod:`~limitlab.agents.lender.scorecard`: the logistic scorecard
- :mod:`~limitlab.agents.lender.monitoring`: unusual patterns flagged, frozen, closed, cut
- :mod:`~limitlab.agents.lender.risk`: PD-based closures and cuts
- :mod:`~limitlab.agents.lender.growth`: step increases
- :mod:`~limitlab.agents.lender.restrictions`: shared restriction rules; thaws and reopenings
- :mod:`~limitlab.agents.lender.appeals`: appeals filed and decided
- :mod:`~limitlab.agents.lender.review`: system reviews against the risk appetite
- :mod:`~limitlab.agents.lender.agent`: the Mesa agent and its state
"""

from limitlab.agents.lender.agent import Candidates, Lender, Policy
from limitlab.agents.lender.scorecard import Scorecard, score_from_pd, scorecard_pd

__all__ = ["Candidates", "Lender", "Policy", "Scorecard", "score_from_pd", "scorecard_pd"]
