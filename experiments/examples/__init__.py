"""Examples of your own lender rules (see :mod:`limitlab.agents.custom_rules`)."""
