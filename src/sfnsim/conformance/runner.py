"""Running corpus cases on sfnsim: :func:`run_case` for one, :func:`run_cases` for a whole file.

A case that cannot be run (it needs a real service, the engine rejects or does not support it,
the engine crashes or hangs) still yields a result: status ``None`` and a ``problem`` saying why.
Nothing is skipped silently.
"""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sfnsim.conformance.compare import CaseResult, compare_case
from sfnsim.conformance.placeholders import Matcher
from sfnsim.conformance.replay import TaskReplay, missing_activities, task_state_names
from sfnsim.errors import DefinitionError, SfnSimError, UnsupportedFeatureError
from sfnsim.tasks.outcomes import missing_activity

#: Wall-clock seconds one case may take; the engine runs on a virtual clock, so more means a hang.
DEFAULT_CASE_TIMEOUT = 10.0

RESULT_KEYS = ("status", "output", "error", "cause", "events")


class _CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that the engine's own ``except Exception`` (a
    handler's failure becomes a task failure) cannot swallow it."""


class _CannotRun(Exception):
    """Why a case could not be run, as a one-line problem text."""


def _load_engine() -> Any:
    """The engine's public entry point, imported late so the runner works (and reports) without it."""
    from sfnsim import StateMachine  # noqa: PLC0415 - the engine may not exist yet

    return StateMachine


def _not_run(problem: str) -> dict:
    return {**dict.fromkeys(RESULT_KEYS), "problem": problem}


def s3_objects(case: dict) -> dict[tuple[str, str], str]:
    """The objects the test uploaded, keyed as the engine's ItemReader wants them."""
    objects = (case.get("resources") or {}).get("s3_objects") or []
    return {(o["bucket"], o["key"]): o["body"] for o in objects}


def jsonable(value: Any) -> Any:
    """An engine value as plain JSON data (timestamps become ISO-8601 text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt a hung engine. Only possible with SIGALRM in the main thread; elsewhere no limit."""
    usable = (
        seconds is not None and seconds > 0 and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _expire(signum: int, frame: Any) -> None:
        raise _CaseTimeout()

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _why_not_runnable(case: dict) -> str | None:
    if case.get("class") == "needs-service":
        reasons = ", ".join(case.get("class_reasons") or []) or "no reason recorded"
        return f"needs-service: {reasons}"
    return None


def run_case(case: dict, *, timeout: float | None = DEFAULT_CASE_TIMEOUT) -> dict:
    """Run one case of the corpus on sfnsim.

    Returns ``{"status", "output", "error", "cause", "events", "problem"}``: the events as
    AWS-shaped dicts (JSON text fields parsed, timestamps as ISO text), and ``problem`` (None when
    all went well) saying why the case could not be run or replayed faithfully.
    """
    reason = _why_not_runnable(case)
    if reason:
        return _not_run(reason)
    try:
        state_machine_class = _load_engine()
    except ImportError as exc:
        return _not_run(f"engine unavailable: {exc}")

    actions = [_action_name(a) for a in case.get("test_actions") or ()]
    replay = TaskReplay(case.get("task_results") or [], Matcher(case.get("placeholders")),
                        callbacks_by_actions=any(a.startswith("send_task_") for a in actions))
    handlers = replay.handlers(task_state_names(case.get("definition") or {}))
    for name in missing_activities(case.get("definition") or {}, case.get("events"), case.get("task_results") or []):
        handlers[name] = missing_activity()  # the recording shows the activity was not there
    try:
        with _deadline(timeout):
            execution = _execute(state_machine_class, case, handlers)
            actual = {
                "status": execution.status,
                "output": jsonable(execution.output),
                "error": execution.error,
                "cause": execution.cause,
                "events": jsonable(list(execution.history)),
            }
    except _CannotRun as exc:
        return _not_run(str(exc))
    except _CaseTimeout:
        return _not_run(f"timeout: the engine did not finish within {timeout:g} s")
    except DefinitionError as exc:
        if not exc.problems:
            return _not_run(f"definition rejected: {exc}")
        first = exc.problems[0]
        return _not_run(f"definition rejected: {first.message} (at {first.location()})")
    except UnsupportedFeatureError as exc:
        return _not_run(f"unsupported: {exc}")
    except SfnSimError as exc:
        return _not_run(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - an engine bug must be reported, not crash the run
        return _not_run(f"internal error: {type(exc).__name__}: {exc} [{_where(exc)}]")
    problems = [*replay.problems, *replay.misses]
    actual["problem"] = f"replay: {problems[0]}" if problems else None
    return actual


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def _execute(state_machine_class: Any, case: dict, handlers: dict) -> Any:
    machine = state_machine_class.from_dict(case["definition"], name="StateMachine")
    options = {"handlers": handlers, "seed": 0, "s3_objects": s3_objects(case)}
    if case.get("state_machine_type") == "EXPRESS":
        # The recorded type and start API: Express ARNs, and no RedriveCount when started synchronously.
        options.update(machine_type="EXPRESS", sync=case.get("start_api") == "start_sync_execution")
    if case.get("test_actions"):
        return _execute_with_actions(machine, case, options)
    return machine.run(case.get("input"), **options)


def _token(execution: Any, action: dict) -> Any:
    pending = list(getattr(execution, "pending_tokens", None) or [])
    wanted = action.get("task_token") or action.get("taskToken")
    if wanted in pending:
        return wanted
    if not pending:
        raise _CannotRun(f"test_actions: {_action_name(action)} but no task token is pending")
    return pending[0]


def _action_name(action: Any) -> str:
    if isinstance(action, str):
        return action
    return str(action.get("action") or action.get("api") or action.get("type") or action.get("name"))


# The calls a test may make to a running execution: the Execution method and its arguments.
_ACTIONS: dict[str, tuple[str, Callable[[Any, dict], tuple]]] = {
    "send_task_success": ("send_task_success", lambda ex, a: (_token(ex, a), a.get("output"))),
    "send_task_failure": ("send_task_failure", lambda ex, a: (_token(ex, a), a.get("error"), a.get("cause"))),
    "send_task_heartbeat": ("send_task_heartbeat", lambda ex, a: (_token(ex, a),)),
    "stop_execution": ("stop", lambda ex, a: (a.get("error"), a.get("cause"))),
}


def _execute_with_actions(machine: Any, case: dict, options: dict) -> Any:
    start = getattr(machine, "start", None)
    if start is None:
        raise _CannotRun("test_actions not supported yet")
    # A test stops an execution moments after starting it: only the start instant has happened.
    stops = any(_action_name(a) == "stop_execution" for a in case["test_actions"])
    execution = start(case.get("input"), **options, **({"run_for": 0.0} if stops else {}))
    for action in case["test_actions"]:
        name = _action_name(action)
        if name not in _ACTIONS:
            raise _CannotRun(f"test_actions: {name!r} is not supported")
        method_name, arguments = _ACTIONS[name]
        method = getattr(execution, method_name, None)
        if method is None:
            raise _CannotRun("test_actions not supported yet")
        method(*arguments(execution, action if isinstance(action, dict) else {}))
    # After the test's last call, virtual time runs on to the end, as it did for the recording.
    finish = getattr(execution, "finish", None)
    if finish is not None:
        finish()
    return execution


def run_cases(
    cases: Iterable[dict],
    *,
    timeout: float | None = DEFAULT_CASE_TIMEOUT,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run and judge every case, in order."""
    results = []
    for case in cases:
        started = time.perf_counter()
        actual = run_case(case, timeout=timeout)
        result = compare_case(case, actual, seconds=time.perf_counter() - started)
        results.append(result)
        if progress:
            progress(result)
    return results


__all__ = ["DEFAULT_CASE_TIMEOUT", "jsonable", "run_case", "run_cases", "s3_objects"]
