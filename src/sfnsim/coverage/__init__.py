"""Workflow coverage: which states and branches of a state machine a set of executions exercised.

``CoverageData`` gathers it (from sfnsim runs or AWS-format histories); ``report`` and ``html``
render it; ``plugin`` is the pytest side and ``command`` the ``sfnsim coverage`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfnsim.coverage.data import CoverageData, MachineCoverage


def __getattr__(name: str) -> Any:
    # Loaded on first use: the pytest plugin imports ``coverage.plugin`` in every session, and a
    # session that does not measure workflow coverage should not pay for the engine.
    if name in ("CoverageData", "MachineCoverage"):
        from sfnsim.coverage import data

        return getattr(data, name)
    raise AttributeError(f"module 'sfnsim.coverage' has no attribute {name!r}")


__all__ = ["CoverageData", "MachineCoverage"]
