"""The base of every response model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(frozen=True)
