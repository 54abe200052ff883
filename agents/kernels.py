"""The recording kernels under the name model/recorder.py and model/score_quality.py import
(``from limitlab.agents import kernels``); they live in :mod:`limitlab.agents.recording`.

The compiled rules are split by concern: :mod:`~limitlab.agents.numerics` (decorators,
exp, normal CDF), :mod:`~limitlab.agents.draws` (random numbers),
:mod:`~limitlab.agents.line_rules` (the borrowers' and the line's rules),
:mod:`~limitlab.agents.lender` (the lender's rules, one module each),
:mod:`~limitlab.agents.channel_kernels` (other lenders), :mod:`~limitlab.agents.recording`.
"""

from limitlab.agents.recording import *  # noqa: F403
from limitlab.agents.recording import __all__  # noqa: F401
