"""The fidelity ratchet: per-feature pass counts on the public corpus that may only go up.

``ratchet.json`` (next to this module) holds, for every corpus feature, how many cases of the
public corpus pass. ``tests/interfaces/test_conformance.py`` runs the corpus and fails when any feature's
count drops below it; when counts rise it says so, and the file should be regenerated to lock the
gain in. Regenerate it from the repository root with::

    sfnsim conformance ../shared/conformance/cases.jsonl --write-ratchet src/sfnsim/conformance/ratchet.json

(or ``python -m sfnsim.conformance.cli ...`` when the ``sfnsim`` command is not installed), and
commit the result. Only regenerate from a full, unfiltered run of the public corpus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sfnsim.conformance.cases import CorpusError
from sfnsim.conformance.report import Report

RATCHET_FILE = Path(__file__).with_name("ratchet.json")


def ratchet_data(report: Report) -> dict:
    return {
        "about": "Per-feature pass counts of the public conformance corpus; they may only go up. "
                 "See sfnsim/conformance/ratchet.py to regenerate.",
        "corpus": report.corpus,
        "cases": report.total.cases,
        "total": report.total.passed,
        "features": report.feature_pass_counts(),
    }


def write_ratchet(report: Report, path: str | Path = RATCHET_FILE) -> None:
    Path(path).write_text(json.dumps(ratchet_data(report), indent=2, sort_keys=False) + "\n", encoding="utf-8")


def load_ratchet(path: str | Path = RATCHET_FILE) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: cannot read the ratchet file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("features"), dict):
        raise CorpusError(f"{path}: not a ratchet file (no 'features' object)")
    return data


@dataclass
class RatchetCheck:
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.regressions


def check_ratchet(report: Report, ratchet: dict) -> RatchetCheck:
    """Compare a full run's pass counts with the ratchet, feature by feature and in total."""
    check = RatchetCheck()
    now = report.feature_pass_counts()
    floors = dict(ratchet["features"])
    floors["(total)"] = ratchet.get("total", 0)
    now["(total)"] = report.total.passed
    for feature in sorted(set(floors) | set(now)):
        before, after = int(floors.get(feature, 0)), now.get(feature, 0)
        if after < before:
            check.regressions.append(f"{feature}: {after} pass, ratchet says {before}")
        elif after > before:
            check.improvements.append(f"{feature}: {after} pass, ratchet says {before}")
    return check
