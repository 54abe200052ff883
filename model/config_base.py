"""The schema's common base (part of :mod:`limitlab.model.config`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    # strict: a boolean is not a number (``months = true``), a string is not a number
    # (``months = "12"``), a number is not a boolean and an integer field takes integers only;
    # an integer is still a valid float (``initial_limit = 500``)
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, strict=True)
