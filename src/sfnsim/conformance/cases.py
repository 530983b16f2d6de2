"""Reading a conformance corpus: one JSON case per line (format: the corpus README)."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from pathlib import Path

from sfnsim.dataflow.jsontypes import loads_json
from sfnsim.errors import SfnSimError

REQUIRED_FIELDS = ("id", "definition", "expected")


class CorpusError(SfnSimError):
    """A cases file that cannot be read or is not in the corpus format."""


def load_cases(path: str | Path) -> list[dict]:
    """All cases of a JSONL file, checked enough that a bad line is reported by number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CorpusError(f"{path}: is a directory, expected a .jsonl file of cases") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return [_parse_line(path, number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]


def _parse_line(path: Path, number: int, line: str) -> dict:
    try:
        case = loads_json(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}:{number}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(case, dict):
        raise CorpusError(f"{path}:{number}: expected a JSON object (one case per line), got {type(case).__name__}")
    missing = [f for f in REQUIRED_FIELDS if f not in case]
    if missing:
        raise CorpusError(f"{path}:{number}: case is missing {', '.join(map(repr, missing))}")
    if not isinstance(case["expected"], dict) or "status" not in case["expected"]:
        raise CorpusError(f"{path}:{number}: case {case['id']!r}: 'expected' must be an object with a 'status'")
    if not isinstance(case["definition"], dict):
        raise CorpusError(f"{path}:{number}: case {case['id']!r}: 'definition' must be a JSON object")
    return case


def select_cases(
    cases: Iterable[dict], features: Iterable[str] = (), ids: Iterable[str] = ()
) -> list[dict]:
    """Cases having any of ``features`` (shell-style patterns, e.g. ``Choice:*``) and whose id
    contains any of ``ids``; an empty filter selects everything."""
    features, ids = list(features), list(ids)

    def wanted(case: dict) -> bool:
        case_features = case.get("features") or []
        if features and not any(fnmatch.fnmatchcase(f, p) for p in features for f in case_features):
            return False
        return not ids or any(i == case["id"] or i in case["id"] for i in ids)

    return [c for c in cases if wanted(c)]
