"""``sfnsim learn``: graded exercises, their checks, and the stage-level feedback.

Each exercise's starting definition carries one mistake of the kind AWS's documentation warns
about (a Parameters key without ``.$``, ResultSelector paths that miss ``Payload`` in a
``lambda:invoke`` result, a StringEquals test on a number, a catcher without ResultPath, ...). The
stage the feedback must name is the one AWS's TestState inspection would show going wrong first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfnsim.cli import main
from sfnsim.i18n import language, use_language
from sfnsim.learn import (
    all_exercises,
    check_definition,
    check_workspace,
    find_exercise,
    find_workspace,
    init_workspace,
    render_result,
    reveal_hint,
    watch,
)
from sfnsim.learn.docs_pages import FIELD_PAGES, docs_url

# exercise number -> (the state, the stage) the starting definition first goes wrong at
FIRST_WRONG_STAGE = {
    1: ("Extract", "afterParameters"),
    2: ("Extract", "afterResultSelector"),
    3: ("Extract", "afterResultPath"),
    4: ("Summarise", "afterOutputPath"),
    5: ("Describe", "afterParameters"),
    6: ("Route", "next"),
    7: ("Settle", "waited"),
    8: ("Load", "retries"),
    9: ("Transform", "afterResultPath"),
    10: ("PriceOrders", "afterItemSelector"),
    11: ("Profile", "afterResultSelector"),
    12: ("ReadLines", "afterItemSelector"),
    13: ("AskForApproval", "afterParameters"),
    14: ("Extract", "output"),
    15: ("Tag", "afterParameters"),
}
EXERCISES = all_exercises()


@pytest.fixture(autouse=True)
def english_afterwards():
    """Commands switch the process's language; the tests after these speak English again."""
    yield
    use_language("en")


def test_the_course_covers_every_topic_in_order() -> None:
    assert len(EXERCISES) >= 12
    assert [e.number for e in EXERCISES] == list(range(1, len(EXERCISES) + 1))
    taught = {field for exercise in EXERCISES for field in exercise.fields}
    for topic in ("InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Intrinsic functions",
                  "Choice", "Wait", "Retry", "Catch", "ItemSelector", "Parallel", "ItemReader", "waitForTaskToken",
                  "Arguments", "Output", "Assign"):
        assert topic in taught, topic
    for exercise in EXERCISES:
        assert exercise.english_goal and len(exercise.english_hints) >= 2 and exercise.cases


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_the_reference_solution_passes(exercise) -> None:
    result = check_definition(exercise, exercise.solution)
    assert result.problem is None
    assert [case.unmet for case in result.cases] == [[] for _ in exercise.cases]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_the_starting_definition_fails_at_a_named_stage(exercise) -> None:
    result = check_definition(exercise, exercise.start)
    assert not result.passed
    failure = result.first_failure
    assert failure is not None and failure.difference is not None
    difference = failure.difference
    assert (difference.state, difference.stage) == FIRST_WRONG_STAGE[exercise.number]
    assert difference.docs is not None and difference.docs.startswith("https://docs.aws.amazon.com/step-functions/")
    text = render_result(result)
    assert f"state {difference.state}" in text and f"stage {difference.stage}" in text
    assert difference.docs in text
    with language("zh-CN"):
        chinese = render_result(result)
    assert f"状态 {difference.state}" in chinese and f"阶段 {difference.stage}" in chinese
    assert difference.docs.replace("docs.aws.amazon.com/", "docs.aws.amazon.com/zh_cn/") in chinese


def test_a_failing_stage_shows_both_values_side_by_side() -> None:
    result = check_definition(find_exercise("01"), find_exercise("01").start)
    text = render_result(result)
    assert 'yours      {"file": "$.source", "day": "$.date", "format": "csv"}' in text
    assert 'expected   {"file": "s3://raw/orders/2024-06-01.csv", "day": "2024-06-01", "format": "csv"}' in text
    assert "#input-output-parameters" in text


def test_a_choice_that_went_elsewhere_shows_what_each_rule_compared() -> None:
    text = render_result(check_definition(find_exercise("choice"), find_exercise("choice").start))
    assert "→ StandardLoad" in text and "→ NothingToLoad" in text
    assert '$.rows = 0; StringEquals "0" → false' in text


def test_a_state_that_failed_says_with_what() -> None:
    # AWS: a ResultSelector path that matches nothing fails the state with States.Runtime.
    text = render_result(check_definition(find_exercise("02"), find_exercise("02").start))
    assert "States.Runtime" in text and "(the state failed before this stage)" in text


def test_retries_compare_the_back_off() -> None:
    exercise = find_exercise("retry")
    definition = json.loads(json.dumps(exercise.solution))
    definition["States"]["Load"]["Retry"][0]["BackoffRate"] = 1  # waits 2 s and 2 s instead of 2 s and 4 s
    failure = check_definition(exercise, definition).first_failure
    assert failure is not None and failure.difference is not None
    assert (failure.difference.stage, failure.difference.yours, failure.difference.expected) == ("retries", [2, 2], [2, 4])


def test_an_invalid_definition_is_reported_with_where() -> None:
    exercise = find_exercise("01")
    result = check_definition(exercise, {"StartAt": "Nowhere", "States": {"A": {"Type": "Succeed"}}})
    assert not result.passed and result.problem is not None and "Nowhere" in result.problem


def test_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(Exception, match="06-choice"):
        find_exercise("no-such-exercise")


def test_every_documentation_page_is_on_the_step_functions_guide() -> None:
    for field in FIELD_PAGES:
        assert docs_url(field).startswith("https://docs.aws.amazon.com/step-functions/latest/dg/")
    with language("zh-CN"):
        assert docs_url("Choice") == "https://docs.aws.amazon.com/zh_cn/step-functions/latest/dg/state-choice.html"


# -- the workspace and the command line -------------------------------------------------------------
def test_newcomer_path_init_then_check_shows_the_first_exercise_failing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    created = runner.invoke(main, ["learn", "init", "ex"])
    assert created.exit_code == 0, created.output
    monkeypatch.chdir(tmp_path / "ex")
    checked = runner.invoke(main, ["learn", "check"])
    assert checked.exit_code == 1
    assert checked.output.startswith("✗ 01-input-path-parameters")
    assert "state Extract · stage afterParameters (from Parameters)" in checked.output
    solution = find_exercise("01").solution
    (tmp_path / "ex" / "exercises" / "01-input-path-parameters.asl.json").write_text(json.dumps(solution))
    checked = runner.invoke(main, ["learn", "check", "01"])
    assert checked.exit_code == 0 and checked.output.startswith("✓ 01-input-path-parameters")
    checked = runner.invoke(main, ["learn", "check"])
    assert checked.output.splitlines()[:2] == ["✓ 01-input-path-parameters · InputPath and Parameters: build the request",
                                                "✗ 02-result-selector · ResultSelector: keep what matters from the result"]


def test_list_shows_done_and_not_done(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ex")
    solution = find_exercise("03").solution
    workspace.definition_path(find_exercise("03")).write_text(json.dumps(solution))
    result = CliRunner().invoke(main, ["learn", "list", "--workspace", str(tmp_path / "ex"), "--lang", "en"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[2].startswith("✓ 03-result-path") and lines[0].startswith("✗ 01-")
    assert lines[-1] == f"1 of {len(EXERCISES)} exercises done."


def test_hints_are_graded_and_remembered(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ex")
    runner = CliRunner()
    arguments = ["learn", "hint", "--workspace", str(tmp_path / "ex"), "--lang", "en"]
    first = runner.invoke(main, arguments).output
    assert "Hint 1 of 3" in first and "Hint 2 of 3" not in first and "01-input-path-parameters" in first
    runner.invoke(main, arguments)
    third = runner.invoke(main, arguments).output
    assert "Hint 3 of 3" in third and "file.$" in third
    assert find_workspace(tmp_path / "ex").hints_shown == {"01-input-path-parameters": 3}


def test_a_workspace_is_not_written_over(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ex")
    result = CliRunner().invoke(main, ["learn", "init", str(tmp_path / "ex")])
    assert result.exit_code == 2 and "not an empty folder" in result.output


def test_outside_a_workspace_the_message_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["learn", "check", "--lang", "en"])
    assert result.exit_code == 2 and "sfnsim learn init DIR" in result.output


def test_watch_checks_again_when_a_file_is_saved(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ex")
    exercise = find_exercise("02")
    seen: list[list[tuple[str, bool]]] = []

    def save_the_solution(_seconds: float) -> None:
        if len(seen) == 1:
            workspace.definition_path(exercise).write_text(json.dumps(exercise.solution) + "\n\n")

    watch(workspace, lambda results: seen.append([(r.exercise.slug, r.passed) for r in results]),
          interval=0.01, rounds=2, sleep=save_the_solution)
    assert seen == [[("01-input-path-parameters", False)], [("02-result-selector", True)]]


def test_the_python_api_checks_a_workspace(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ex")
    results = check_workspace(workspace, every=True)
    assert len(results) == len(EXERCISES) and not any(r.passed for r in results)
    assert reveal_hint(workspace, find_exercise("07")) == 1


def test_when_the_stage_field_is_right_the_feedback_names_the_field_that_is_not() -> None:
    # AWS: $$.Task.Token exists only for .waitForTaskToken tasks, so identical Parameters fail with the
    # plain sqs:sendMessage resource; the field to fix is Resource.
    exercise = find_exercise("callback")
    difference = check_definition(exercise, exercise.start).first_failure.difference
    assert (difference.stage, difference.stage_field, difference.field) == ("afterParameters", "Parameters", "Resource")
    assert difference.docs == "https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html"


def test_check_and_list_speak_json_for_tools(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ex")
    runner = CliRunner()
    checked = runner.invoke(main, ["learn", "check", "--json", "--lang", "en", "--workspace", str(tmp_path / "ex")])
    assert checked.exit_code == 1
    data = json.loads(checked.output)
    difference = data["exercises"][0]["cases"][0]["difference"]
    assert data["passed"] is False and data["exercises"][0]["name"] == "01-input-path-parameters"
    assert (difference["state"], difference["stage"], difference["field"], difference["reached"]) == (
        "Extract", "afterParameters", "Parameters", True)
    assert difference["expected"] == {"file": "s3://raw/orders/2024-06-01.csv", "day": "2024-06-01", "format": "csv"}
    listed = json.loads(runner.invoke(main, ["learn", "list", "--json", "--workspace", str(tmp_path / "ex")]).output)
    assert (listed["done"], listed["total"]) == (0, len(EXERCISES))
    missing = runner.invoke(main, ["learn", "check", "--json", "--workspace", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and json.loads(missing.output)["error"]["exit_code"] == 2


def test_a_renamed_task_is_told_which_names_the_exercise_answers() -> None:
    exercise = find_exercise("02")
    definition = json.loads(json.dumps(exercise.start).replace('"Extract"', '"Extr"'))
    result = check_definition(exercise, definition)
    assert result.problem is not None and "'Extr'" in result.problem
    assert "answers the tasks named Extract" in result.problem


def test_history_events_are_expected_as_aws_records_them() -> None:
    # AWS records a callback task's TaskSubmitted, and a Distributed Map's MapRunStarted/MapRunSucceeded.
    exercise = find_exercise("callback")
    failure = check_definition(exercise, exercise.start).first_failure
    assert failure is not None
    assert [(u.what, u.state, u.expected, u.actual) for u in failure.unmet if u.what == "events"] == [
        ("events", "TaskSubmitted", 1, 0), ("events", "TaskSucceeded", 1, 0)]
