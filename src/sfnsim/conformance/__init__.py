"""Fidelity measurement: replay AWS-recorded executions on sfnsim and compare.

* :func:`run_case` runs one case of the corpus (format: ``../shared/conformance/README.md``),
  answering its Task states from the recorded ``task_results``;
* :func:`compare_case` judges the result by the README's rules (:mod:`.compare`);
* :func:`run_cases` does both for many cases; :class:`Report` sums them up by feature;
* the ``sfnsim conformance`` command (:mod:`.cli`) prints the table; :mod:`.ratchet` keeps the
  per-feature pass counts from ever going down.
"""

from __future__ import annotations

from sfnsim.conformance.cases import CorpusError, load_cases, select_cases
from sfnsim.conformance.compare import CaseResult, compare_case
from sfnsim.conformance.placeholders import Matcher
from sfnsim.conformance.report import Report
from sfnsim.conformance.runner import run_case, run_cases

__all__ = [
    "CaseResult",
    "CorpusError",
    "Matcher",
    "Report",
    "compare_case",
    "load_cases",
    "run_case",
    "run_cases",
    "select_cases",
]
