"""Handler mistakes (issue #16): each is a HandlerError that names the state, the handler and what
was wrong; from the CLI a user error (exit 2), never an internal error (exit 3).

Whatever a Task returns on AWS is JSON text, so a handler result JSON cannot hold is the test's
mistake, not something to pass on into outputs AWS could never produce.
"""

from __future__ import annotations

import datetime
import decimal
import inspect
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from sfnsim import StateMachine, TaskFailed
from sfnsim.cli import main
from sfnsim.errors import HandlerError, InputError

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
ONE_TASK = {"StartAt": "Load", "States": {"Load": {"Type": "Task", "Resource": LAMBDA, "End": True}}}


def load_with(handler: Callable[..., Any], **options: Any) -> Any:
    return StateMachine.from_dict(ONE_TASK).run({"rows": 1}, handlers={"Load": handler}, **options)


@pytest.mark.parametrize("result, where, what", [
    ({1, 2}, "$", "a set is not a JSON value"),
    ({"at": datetime.datetime(2024, 1, 1)}, "$.at", "is not a JSON value; return its .isoformat() text"),
    ([decimal.Decimal("1.5")], "$[0]", "a Decimal is not a JSON value"),
    ({"body": b"a,b\n"}, "$.body", "a bytes is not a JSON value"),
    ((row for row in [1]), "$", "a generator is not a JSON value"),
    (10 ** 5000, "$", "an integer of more than 4300 digits"),
    ({"ratio": float("nan")}, "$.ratio", "nan is not a JSON number"),
    ({"ratio": float("inf")}, "$.ratio", "inf is not a JSON number"),
    ({"pair": (1, 2)}, "$.pair", "a tuple is not a JSON value; return a list instead"),
    ({"counts": {1: "one"}}, "$.counts", "the key 1 is an int; JSON object keys are text"),
    ({"name": "\ud800"}, "$.name", "lone surrogate"),
], ids=["set", "datetime", "Decimal", "bytes", "generator", "huge-int", "nan", "inf", "tuple", "int-key", "surrogate"])
def test_a_result_json_cannot_hold_names_state_handler_and_place(result: Any, where: str, what: str) -> None:
    def returns_it(_: Any) -> Any:
        return result

    with pytest.raises(HandlerError) as raised:
        load_with(returns_it)
    message = str(raised.value)
    assert message.startswith("Task state 'Load': the handler ")
    assert "returns_it" in message
    assert f"returned a value that is not JSON: {where}: " in message
    assert what in message


def test_a_handler_with_the_wrong_signature_is_named_before_it_is_called() -> None:
    def needs_three(payload: Any, context: Any, extra: Any) -> Any:
        raise AssertionError("never called")

    with pytest.raises(HandlerError, match=r"Task state 'Load': the handler .*needs_three cannot be called as "
                                           r"a task handler: its signature is \(payload, context, extra\)"):
        load_with(needs_three)
    with pytest.raises(HandlerError, match=r"signature is \(\)"):
        load_with(lambda: {"ok": True})


def test_callable_objects_of_one_class_share_its_signature_unless_one_carries_its_own() -> None:
    # Signatures are worked out once per class for callable objects (a new mock each run).
    class Answer:
        def __init__(self, value: Any) -> None:
            self.value = value

        def __call__(self, payload: Any, context: Any) -> Any:
            return {"value": self.value, "state": context.state_name}

    assert load_with(Answer(1)).output == {"value": 1, "state": "Load"}
    assert load_with(Answer(2)).output == {"value": 2, "state": "Load"}
    odd = Answer(3)
    odd.__signature__ = inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                           for name in ("payload", "context", "extra")])
    with pytest.raises(HandlerError, match=r"signature is \(payload, context, extra\)"):
        load_with(odd)
    assert load_with(Answer(4)).output == {"value": 4, "state": "Load"}


def test_a_handler_that_raises_type_error_itself_is_still_a_lambda_type_error() -> None:
    # The handler's own TypeError is a task failure with only the handler's frames in the trace.
    def buggy(payload: Any) -> Any:
        return payload["rows"] + "x"

    execution = load_with(buggy)
    assert (execution.status, execution.error) == ("FAILED", "TypeError")
    trace = json.loads(execution.cause)["stackTrace"]
    assert trace and all("sfnsim" not in line.split(",")[0] for line in trace)


def test_task_failed_without_an_error_name_does_not_succeed() -> None:
    def fails_namelessly(_: Any) -> Any:
        raise TaskFailed(None)  # type: ignore[arg-type]

    with pytest.raises(HandlerError, match="raised TaskFailed with no error name, which would make the task succeed"):
        load_with(fails_namelessly)


def test_an_exception_whose_str_raises_is_reported() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def raises_unprintable(_: Any) -> Any:
        raise Unprintable()

    with pytest.raises(HandlerError, match=r"Task state 'Load': the handler .*raises_unprintable raised "
                                           r"Unprintable, whose str\(\) itself raised RuntimeError"):
        load_with(raises_unprintable)


def test_an_s3_object_given_as_bytes_is_read_as_utf8_text() -> None:
    machine = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": "b", "Key": "rows.csv"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    execution = StateMachine.from_dict(machine).run({}, s3_objects={("b", "rows.csv"): "id,name\n1,é\n".encode()})
    assert execution.status == "SUCCEEDED"
    assert execution.output == [{"id": "1", "name": "é"}]
    with pytest.raises(InputError, match=r"s3_objects\[\('b', 'rows.csv'\)\]: the body is not UTF-8 text"):
        StateMachine.from_dict(machine).run({}, s3_objects={("b", "rows.csv"): b"\xff\xfe"})


def test_execution_input_json_cannot_hold_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"the execution input is not JSON: \$.when: a date is not a JSON value"):
        StateMachine.from_dict(ONE_TASK).run({"when": datetime.date(2024, 1, 1)})


def test_from_the_cli_a_handler_mistake_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "mistaken_handlers.py").write_text(
        "HANDLERS = {'Load': lambda payload: {'rows': {1, 2}}}\n", encoding="utf-8")
    definition = tmp_path / "load.asl.json"
    definition.write_text(json.dumps(ONE_TASK), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(definition), "--input", "{}",
                                       "--handlers", f"{tmp_path / 'mistaken_handlers.py'}:HANDLERS"])
    assert result.exit_code == 2, result.output
    assert "Task state 'Load'" in result.output and "a set is not a JSON value" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
