"""limitlab: an agent-based simulation (Mesa) of a consumer and small-business credit line.

The code lives in three layers, installed under this package:

- :mod:`limitlab.agents`: borrowers, habits, the lender and its rules (repository folder ``agents/``);
- :mod:`limitlab.model`: the world: economy, ledger, month order, recording (``model/``);
- :mod:`limitlab.experiments`: scenarios, runners, sweeps, reports, the classroom page
  (``experiments/``).

Each layer imports only the ones before it (``experiments`` → ``model`` → ``agents``).
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("limitlab")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"
