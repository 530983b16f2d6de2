"""TestState: run one state on its own and report what it did, in AWS's response shape.

The state runs inside a small machine of its own: the state as given (without its Retry, which
TestState reports instead of performing), and a Succeed placeholder under the name of every state
it can go to, so the placeholder entered is the ``nextState``. The run is inspected, and sfnsim's
inspection stages already carry AWS's ``inspectionData`` field names.

``mock`` answers the state: ``result`` (the service's response, JSON text) or ``errorOutput``. A
Map or Parallel state under a mock runs as a task whose result is the mock, so its InputPath,
ResultSelector, ResultPath, OutputPath, Assign and Catch apply as they would to its branches' result.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.server.backend import Backend
from sfnsim.server.protocol import Params, ServiceError, validation_error
from sfnsim.tasks.outcomes import TaskResponse

_LEVELS = ("INFO", "DEBUG", "TRACE")
# inspectionData members that hold JSON text; the three below it are numbers.
_JSON_STAGES = ("input", "afterArguments", "afterInputPath", "afterParameters", "result", "afterResultSelector",
                "afterResultPath", "variables", "afterItemsPath", "afterItemSelector", "afterItemBatcher",
                "afterItemsPointer")
_NUMBER_STAGES = ("toleratedFailureCount", "toleratedFailurePercentage", "maxConcurrency")
_MOCK_TASK = "arn:aws:states:::aws-sdk:sfn:testStateMock"
# Fields a Map or Parallel has that a Task standing in for it under a mock must not.
_BRANCHING_FIELDS = ("Branches", "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader",
                     "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
                     "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
                     "Label", "Parameters", "Arguments")


def run_test_state(backend: Backend, params: Params) -> dict[str, Any]:
    """The TestState operation."""
    level = params.text("inspectionLevel", default="INFO")
    if level not in _LEVELS:
        raise validation_error(f"Value '{level}' at 'inspectionLevel' failed to satisfy constraint: "
                               f"Member must satisfy enum value set: [{', '.join(_LEVELS)}]")
    if "context" in params.body:
        raise validation_error("sfnsim's TestState does not support 'context' yet")
    retry_count = _retry_count(params)
    name, state, language = _state_under_test(params.required("definition"), params.text("stateName"))
    state_input = params.json_text("input", what="input", error="InvalidExecutionInput", default={})
    variables = params.json_text("variables", what="variables", error="ValidationException", default=None)
    if variables is not None and not isinstance(variables, dict):
        raise validation_error("'variables' must be a JSON object of variable names to values")
    mock = _mock(params)
    retriers = state.pop("Retry", None) or []
    if mock is not None and state.get("Type") in ("Map", "Parallel"):
        state = _as_mocked_task(state)  # without a mock, its branches run, answered as any execution's
    if mock is not None and state.get("Type") != "Task":
        raise validation_error(f"a mock answers a Task, Map or Parallel state; '{name}' is a {state.get('Type')} state")

    machine = _machine(name, state, language)
    handlers = dict(backend.handlers)
    if mock is not None:
        handlers[name] = lambda payload: mock
    from sfnsim.errors import SfnSimError

    try:
        execution = machine.start(state_input, handlers=handlers, handler_fallback=backend.fallback, inspect=True,
                                  role_arn=params.text("roleArn"), region=backend.region, account=backend.account,
                                  variables=variables)
        execution.finish()
    except SfnSimError as problem:
        raise validation_error(f"TestState could not run state '{name}': {problem}") from None
    if execution.status == "RUNNING":
        raise validation_error(f"state '{name}' waits for a callback or an activity worker: give it a mock")
    return _response(execution, name, retriers, retry_count, level)


def _retry_count(params: Params) -> int:
    configuration = params.body.get("stateConfiguration") or {}
    if not isinstance(configuration, dict):
        raise validation_error("'stateConfiguration' must be an object")
    unknown = set(configuration) - {"retrierRetryCount"}
    if unknown:
        raise validation_error(f"sfnsim's TestState does not support stateConfiguration.{sorted(unknown)[0]} yet")
    count = configuration.get("retrierRetryCount", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise validation_error("stateConfiguration.retrierRetryCount must be a whole number >= 0")
    return count


def _state_under_test(definition_text: str, state_name: str | None) -> tuple[str, dict[str, Any], str | None]:
    try:
        definition = json.loads(definition_text)
    except json.JSONDecodeError as exc:
        raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: 'not valid JSON: {exc}'") from None
    if not isinstance(definition, dict):
        raise ServiceError("InvalidDefinition", "Invalid State Machine Definition: 'expected a JSON object'")
    is_machine = "States" in definition and "Type" not in definition
    if state_name is None:
        if is_machine:
            raise validation_error("the definition is a state machine: name the state to test with stateName")
        return "TestState", copy.deepcopy(definition), None
    if not is_machine:
        raise validation_error("stateName picks a state of a state machine definition; this definition is one state")
    states = definition.get("States")
    if not isinstance(states, dict) or not isinstance(states.get(state_name), dict):
        raise validation_error(f"the definition has no top-level state named '{state_name}'")
    return state_name, copy.deepcopy(states[state_name]), definition.get("QueryLanguage")


def _mock(params: Params) -> TaskResponse | None:
    raw = params.body.get("mock")
    if raw is None:
        return None
    if not isinstance(raw, dict) or ("result" in raw) == ("errorOutput" in raw):
        raise validation_error("'mock' takes exactly one of 'result' (JSON text) and 'errorOutput'")
    if "result" in raw:
        try:
            return TaskResponse(value=json.loads(raw["result"]), raw=True)
        except (TypeError, json.JSONDecodeError) as exc:
            raise validation_error(f"mock.result is not JSON text: {exc}") from None
    error = raw["errorOutput"] if isinstance(raw["errorOutput"], dict) else {}
    return TaskResponse(error=str(error.get("error", "")), cause=error.get("cause"))


def _as_mocked_task(state: dict[str, Any]) -> dict[str, Any]:
    task = {k: v for k, v in state.items() if k not in _BRANCHING_FIELDS}
    task.update(Type="Task", Resource=_MOCK_TASK)
    return task


def _targets(state: dict[str, Any]) -> set[str]:
    targets = {state["Next"]} if isinstance(state.get("Next"), str) else set()
    for catcher in state.get("Catch") or []:
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            targets.add(catcher["Next"])
    for rule in state.get("Choices") or []:
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            targets.add(rule["Next"])
    if isinstance(state.get("Default"), str):
        targets.add(state["Default"])
    return targets


def _machine(name: str, state: dict[str, Any], language: str | None) -> Any:
    from sfnsim.api import StateMachine
    from sfnsim.errors import DefinitionError

    states = {target: {"Type": "Succeed"} for target in _targets(state) if target != name}
    states[name] = state
    definition: dict[str, Any] = {"StartAt": name, "States": states}
    if language is not None:
        definition["QueryLanguage"] = language
    try:
        return StateMachine.from_dict(definition, name="TestState")
    except DefinitionError as bad:
        details = "; ".join(f"{p.message} at {p.pointer.replace('/States/' + name, '', 1) or '/'}"
                            for p in bad.problems)
        raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{details}'") from None


def _response(execution: Any, name: str, retriers: list[Any], retry_count: int, level: str) -> dict[str, Any]:
    visit = execution.inspection[0]
    caught = next((note for note in visit.notes if note["kind"] == "catch"), None)
    error = cause = None
    if caught is not None:
        error, cause = caught["errorOutput"].get("Error"), caught["errorOutput"].get("Cause")
    elif execution.status != "SUCCEEDED":
        error, cause = execution.error, execution.cause
    details: dict[str, Any] = {}
    retrier = _matching_retrier(retriers, error, retry_count) if error is not None else None
    response: dict[str, Any] = {}
    if retrier is not None:
        index, backoff = retrier
        response["status"] = "RETRIABLE"
        details = {"retryIndex": index, "retryBackoffIntervalSeconds": backoff}
    elif caught is not None:
        response.update(status="CAUGHT_ERROR", nextState=caught["next"], output=compact_json(visit.output))
        details = {"catchIndex": caught["catcher"]}
    elif error is not None:
        response["status"] = "FAILED"
    else:
        response["status"] = "SUCCEEDED"
        response["output"] = compact_json(visit.output)
        if visit.next is not None:
            response["nextState"] = visit.next
    for key, value in (("error", error), ("cause", cause)):
        if value is not None:
            response[key] = value
    if level != "INFO":
        response["inspectionData"] = _inspection_data(visit, details)
    return response


def _matching_retrier(retriers: list[Any], error: str, retry_count: int) -> tuple[int, int] | None:
    from sfnsim.engine.recovery import Retrier, error_matches
    from sfnsim.errors import StatesError

    for index, spec in enumerate(retriers):
        retrier = Retrier(spec)
        if error_matches(retrier.error_equals, StatesError(error)):
            if retry_count >= retrier.max_attempts:
                return None  # this retrier is spent: the error goes on to Catch, as it would on AWS
            delay = retrier.interval_seconds * retrier.backoff_rate ** retry_count
            if retrier.max_delay_seconds is not None:
                delay = min(delay, retrier.max_delay_seconds)
            return index, int(delay)
    return None


def _inspection_data(visit: Any, error_details: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"input": compact_json(visit.input)}
    for key, value in visit.stages.items():
        if key in _JSON_STAGES:
            data[key] = compact_json(value)
        elif key in _NUMBER_STAGES and isinstance(value, (int, float)):
            data[key] = value
    if error_details:
        data["errorDetails"] = error_details
    return data


__all__ = ["run_test_state"]
