"""Workflow coverage: which states and branches of a state machine a set of executions exercised.

``CoverageData`` gathers it (from sfnsim runs or AWS-format histories); ``report`` and ``html``
render it; ``plugin`` is the pytest side and ``command`` the ``sfnsim coverage`` command.
"""

from sfnsim.coverage.data import CoverageData, MachineCoverage

__all__ = ["CoverageData", "MachineCoverage"]
