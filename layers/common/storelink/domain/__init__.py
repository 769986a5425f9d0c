"""Domain rules as plain models and functions: no AWS, no HTTP."""

import threading
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

_first_builds = threading.RLock()


class DomainModel(BaseModel):
    """The domain's models: each builds its validator when first used, not at import, so a function builds only
    the models its own path uses (docs/benchmarks.md, "Handler cold import")."""

    model_config = ConfigDict(defer_build=True)

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Mapping[str, Any] | None = None,
    ) -> bool | None:
        """A first use builds the model here. pydantic 2.13 builds without a lock: threads of one invocation (the
        stock propagation's destinations, the catch-up's stores) first using a model at once could see its
        validator removed half-way, and another model's used (pydantic#13419, locked upstream by pydantic#13438)."""
        with _first_builds:
            return super().model_rebuild(
                force=force,
                raise_errors=raise_errors,
                # One frame more than pydantic counts: this one.
                _parent_namespace_depth=_parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0,
                _types_namespace=_types_namespace,
            )
