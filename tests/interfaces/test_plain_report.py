"""`sfnsim run` writes its report without rich when rich would write plain text: the same bytes.

``plain_run`` either declines (None) or gives exactly what ``render_run`` prints through rich to a
console that is no terminal, at the same width; checked over runs that succeed, fail, retry, are
caught, time out, fan out, have child executions, and hold text rich treats specially (emoji codes,
wide characters, control characters, lines longer than the width).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from sfnsim import StateMachine, TaskFailed
from sfnsim.render.text import plain_output_width, plain_run, render_run

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (8, 30, 60, 80, 132, 400)


def _machine(states: dict[str, Any], start: str, **top: Any) -> StateMachine:
    return StateMachine.from_dict({"StartAt": start, "States": states, **top})


def _fails(error: str, cause: str) -> Any:
    def handler(_: Any) -> Any:
        raise TaskFailed(error, cause)

    return handler


def _flaky() -> Any:
    calls = []

    def handler(event: Any) -> Any:
        calls.append(event)
        if len(calls) < 3:
            raise TaskFailed("Busy.Error", "try   again\nlater " * 20)
        return {"ok": True}

    return handler


def executions() -> dict[str, Any]:
    hello = ROOT / "fixtures" / "examples"
    task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work"}
    runs = {
        "hello": StateMachine.from_file(hello / "hello.asl.json").run(
            json.loads((hello / "hello.input.json").read_text())),
        "retried and caught": _machine({
            "T": {**task, "Retry": [{"ErrorEquals": ["Busy.Error"], "MaxAttempts": 1}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}], "Next": "Done"},
            "Recover": {"Type": "Pass", "Next": "Done"}, "Done": {"Type": "Succeed"}}, "T").run({}, handlers={"T": _flaky()}),
        "retried until ok": _machine({"T": {**task, "Retry": [{"ErrorEquals": ["Busy.Error"], "MaxAttempts": 3}],
                                            "End": True}}, "T").run({}, handlers={"T": _flaky()}),
        "failed with a JSON cause": _machine({"T": {**task, "End": True}}, "T").run({}, handlers={
            "T": _fails("Lambda.Unknown", json.dumps({"errorMessage": "bad", "stackTrace": ["a", "b"]}))}),
        "failed with an emoji code": _machine({"F": {"Type": "Fail", "Error": "Oops:smile:", "Cause": "see :rocket: here"}},
                                              "F").run({}),
        "failed with wide text": _machine({"F": {"Type": "Fail", "Error": "東京", "Cause": "café — 東京"}}, "F").run({}),
        "failed with a tab": _machine({"F": {"Type": "Fail", "Error": "E ", "Cause": "a\tb\r\nc"}}, "F").run({}),
        "timed out": _machine({"W": {"Type": "Wait", "Seconds": 60, "End": True}}, "W", TimeoutSeconds=5).run({}),
        "parallel": _machine({"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": f"B{i}", "States": {f"B{i}": {"Type": "Pass", "End": True}}} for i in range(3)]}}, "P").run({}),
        "emoji code in the output": _machine({"P": {"Type": "Pass", "Result": {"say": ":rocket: at 12:30:00"},
                                                    "End": True}}, "P").run({}),
        "unicode output": _machine({"P": {"Type": "Pass", "Result": {"name": "Zoë", "note": "naïve café"}, "End": True}},
                                   "P").run({}),
    }
    parent = runs["hello"]
    child = SimpleNamespace(state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:kid", name="c-1",
                            parent_state="Greet", status="FAILED", history=runs["retried and caught"].history,
                            children=[SimpleNamespace(state_machine_arn="arn:...:grandkid", name="g", parent_state="T",
                                                      status="SUCCEEDED", history=runs["parallel"].history,
                                                      children=[])])
    runs["with child executions"] = SimpleNamespace(history=parent.history, status=parent.status,
                                                    output=parent.output, error=None, cause=None, children=[child])
    return runs


def _through_rich(execution: Any, title: str, width: int) -> str:
    buffer = io.StringIO()
    render_run(Console(file=buffer, highlight=False, width=width), execution, title=title)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _no_colour_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def test_the_plain_report_is_rich_s_to_the_byte_or_declines() -> None:
    written = set()
    for name, execution in executions().items():
        for title in ("hello", "a-state-machine-with-a-name-long-enough-to-wrap-at-sixty-columns-or-less"):
            for width in WIDTHS:
                plain = plain_run(execution, title=title, width=width)
                if plain is not None:
                    assert plain == _through_rich(execution, title, width), (name, title, width)
                    written.add((name, width))
    # Declining is always safe, so check it writes where it should: the usual runs at usual widths.
    for name in ("hello", "retried and caught", "retried until ok", "failed with a JSON cause", "timed out",
                 "parallel", "unicode output", "with child executions"):
        assert {(name, 80), (name, 132)} <= written, name
    for name in ("failed with an emoji code", "failed with wide text", "failed with a tab", "emoji code in the output"):
        assert not any(done == name for done, _ in written), name


@pytest.mark.parametrize("columns", [None, "37", "200", "0", "wide"])
def test_the_width_is_the_one_rich_would_use(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)
    assert plain_output_width(io.StringIO()) == Console(file=io.StringIO()).width


def test_a_terminal_or_forced_colour_gets_rich() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert plain_output_width(Terminal()) is None


def test_forced_colour_gets_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert plain_output_width(io.StringIO()) is None
    assert Console(file=io.StringIO()).is_terminal
