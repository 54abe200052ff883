"""limitlab: an agent-based simulation (Mesa) of a consumer and small-business credit line.

The code lives in three layers, installed under this package:

- :mod:`limitlab.agents`: borrowers, habits, the lender and its rules (repository folder ``agents/``);
- :mod:`limitlab.model`: the world: economy, ledger, month order, recording (``model/``);
- :mod:`limitlab.experiments`: scenarios, runners, sweeps, reports, the classroom page
  (``experiments/``).

Each layer imports only the ones before it (``experiments`` → ``model`` → ``agents``).
"""



def __getattr__(name: str):
    """``limitlab.__version__``, read from the installed metadata when first asked for (reading
    it at import would slow every command's start)."""
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("limitlab")
        except metadata.PackageNotFoundError:  # pragma: no cover - an uninstalled tree
            return "0+unknown"
    raise AttributeError(f"module 'limitlab' has no attribute {name!r}")
