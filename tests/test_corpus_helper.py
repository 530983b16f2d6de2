"""tests/corpus.py: a missing shared corpus skips locally and fails on CI (CI=true); case lookup."""

from __future__ import annotations

import json
from pathlib import Path

import corpus
import pytest


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty stand-in for ../shared."""
    monkeypatch.setattr(corpus, "SHARED", tmp_path)
    return tmp_path


def write_cases(shared: Path, ids: list[str], blank_lines: bool = False) -> None:
    path = shared.joinpath(*corpus.CASES)
    path.parent.mkdir(parents=True)
    lines = [json.dumps({"id": i, "expected": {"status": "SUCCEEDED"}}) for i in ids]
    path.write_text(("\n\n" if blank_lines else "\n").join(lines) + "\n", encoding="utf-8")


def test_the_corpus_is_looked_for_next_to_the_repository() -> None:
    assert corpus.SHARED == Path(__file__).resolve().parents[2] / "shared"


def test_a_present_file_is_returned(shared: Path) -> None:
    (shared / "corpora").mkdir()
    (shared / "corpora" / "w.jsonl").write_text("", encoding="utf-8")
    assert corpus.shared_path("corpora", "w.jsonl") == shared / "corpora" / "w.jsonl"


@pytest.mark.parametrize("ci", [None, "false", "1", "TRUE"])
def test_a_missing_file_skips_unless_ci_is_exactly_true(
    shared: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        corpus.shared_path("conformance", "cases.jsonl")
    assert str(shared / "conformance" / "cases.jsonl") in str(skipped.value)


def test_a_missing_file_fails_on_ci(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        corpus.shared_path("corpora", "workflows.jsonl")
    assert str(shared / "corpora" / "workflows.jsonl") in str(failed.value)


@pytest.mark.parametrize(
    "use",
    [corpus.conformance_cases, lambda: corpus.conformance_case("x"), lambda: corpus.jsonl_records(*corpus.CASES)],
    ids=["conformance_cases", "conformance_case", "jsonl_records"],
)
def test_every_reader_reports_the_missing_corpus_when_called(
    shared: Path, monkeypatch: pytest.MonkeyPatch, use: object
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        use()  # type: ignore[operator]
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        use()  # type: ignore[operator]


def test_collection_gets_no_cases_and_no_skip_when_the_corpus_is_missing(shared: Path) -> None:
    assert corpus.conformance_cases_for_collection() == []


def test_records_skip_blank_lines(shared: Path) -> None:
    write_cases(shared, ["a", "b"], blank_lines=True)
    assert [r["id"] for r in corpus.jsonl_records(*corpus.CASES)] == ["a", "b"]
    assert [c["id"] for c in corpus.conformance_cases()] == ["a", "b"]
    assert [c["id"] for c in corpus.conformance_cases_for_collection()] == ["a", "b"]


def test_a_case_is_found_by_a_unique_part_of_its_id(shared: Path) -> None:
    write_cases(shared, ["suite::TestA::test_x::history", "suite::TestB::test_y::history"])
    assert corpus.conformance_case("TestB::test_y")["id"] == "suite::TestB::test_y::history"


def test_an_exact_id_wins_over_longer_ids_that_contain_it(shared: Path) -> None:
    write_cases(shared, ["suite::test_x", "suite::test_x[param]"])
    assert corpus.conformance_case("suite::test_x")["id"] == "suite::test_x"


@pytest.mark.parametrize(("id_part", "count"), [("test_z", 0), ("suite::", 2)])
def test_no_match_or_several_matches_fail_with_the_count(shared: Path, id_part: str, count: int) -> None:
    write_cases(shared, ["suite::test_x", "suite::test_y"])
    with pytest.raises(pytest.fail.Exception) as failed:
        corpus.conformance_case(id_part)
    assert f"{count} conformance cases match {id_part!r}; expected exactly one" in str(failed.value)


def test_a_looked_up_case_is_a_private_copy(shared: Path) -> None:
    write_cases(shared, ["suite::test_x"])
    corpus.conformance_case("test_x")["expected"]["status"] = "FAILED"
    assert corpus.conformance_cases()[0]["expected"]["status"] == "SUCCEEDED"
