"""The error a user's configuration raises (kept free of heavy imports: the command line
catches it before it has loaded anything else)."""


class ConfigError(ValueError):
    """A one-line, user-facing configuration error (the CLI exits with code 2)."""
