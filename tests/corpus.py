"""The shared corpus (../shared next to the repository) for the tests: where it is, and what a test
does when it is missing.

Locally a missing corpus skips the tests that need it; when the env var CI is "true" it fails them,
so a CI job that lost the corpus cannot pass by skipping. Test files import this module by name
(tests/ has no __init__.py, so pytest puts it on sys.path).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SHARED: Path = Path(__file__).resolve().parents[2] / "shared"
CASES: tuple[str, ...] = ("conformance", "cases.jsonl")


def shared_path(*parts: str) -> Path:
    """``SHARED / parts``; skips the calling test when it is missing, or fails it on CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared corpus missing at {path} (CI=true)")
        pytest.skip(f"shared corpus not available at {path}")
    return path


def jsonl_records(*parts: str) -> Iterator[dict[str, Any]]:
    """The records of a JSONL file under SHARED, read as they are iterated.

    The file is checked now, not at the first ``next``, so a missing corpus is reported by the
    call that asked for it.
    """
    return _records(shared_path(*parts))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def conformance_cases() -> list[dict[str, Any]]:
    """Every AWS-recorded case of conformance/cases.jsonl, parsed once per session.

    The list and its cases are shared by all tests: never modify them (copy first, as
    conformance_case does).
    """
    return _parsed(shared_path(*CASES))


def conformance_cases_for_collection() -> list[dict[str, Any]]:
    """The cases while pytest collects, where a skip is impossible: [] when the corpus is missing.

    A test parametrised over an empty list never runs, so give it a placeholder parameter that
    calls ``shared_path(*CASES)`` to report the absence.
    """
    path = SHARED.joinpath(*CASES)
    return _parsed(path) if path.is_file() else []


@cache
def _parsed(path: Path) -> list[dict[str, Any]]:
    return list(_records(path))


def conformance_case(id_part: str) -> dict[str, Any]:
    """A private copy of the one case whose id is ``id_part``, or else contains it.

    An exact id wins, so a full id stays unambiguous when it is also a prefix of another id.
    """
    cases = conformance_cases()
    found = [c for c in cases if c["id"] == id_part] or [c for c in cases if id_part in c["id"]]
    if len(found) != 1:
        ids = "".join(f"\n  {c['id']}" for c in found[:5])
        pytest.fail(f"{len(found)} conformance cases match {id_part!r}; expected exactly one{ids}")
    return copy.deepcopy(found[0])
