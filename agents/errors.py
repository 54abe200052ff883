"""Errors raised by the agents' own checks."""


class LedgerError(AssertionError):
    """The books do not balance: a lender's balances and its flows disagree by at least a cent."""
