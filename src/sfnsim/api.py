"""The Python API: ``StateMachine`` (load once, run many) and ``Execution`` (one run's outcome)."""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from sfnsim.asl.templates import unresolved_resources
from sfnsim.engine.compiler import CompiledMachine, compile_machine
from sfnsim.engine.execution import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    EXPRESS,
    STANDARD,
    ExecutionOptions,
    ExecutionRunner,
)
from sfnsim.errors import DefinitionError
from sfnsim.history.assertions import ExecutionAssertions
from sfnsim.history.events import HistoryRecorder, to_aws_events
from sfnsim.history.trace import StateView
from sfnsim.nested import ChildExecutionView, machine_catalog, with_map_children
from sfnsim.errors import SfnSimError
from sfnsim.tasks.dispatch import Handler, HandlerFallback, TaskDispatcher

# Told of every machine created and every execution started (``machine_loaded(machine)``,
# ``execution_started(execution)``): how the pytest plugin measures workflow coverage without
# the tests doing anything. Empty unless something registered, so it costs nothing otherwise.
_observers: list[Any] = []


def add_observer(observer: Any) -> None:
    """Tell ``observer`` of every StateMachine created and every execution started from now on."""
    _observers.append(observer)


def remove_observer(observer: Any) -> None:
    if observer in _observers:
        _observers.remove(observer)


class StateMachine:
    """A loaded, validated and compiled state machine definition."""

    def __init__(self, definition: dict[str, Any], *, name: str = "StateMachine", source: str | None = None,
                 type: str = "STANDARD") -> None:
        self.definition = definition
        self.name = name
        self.source = source
        self.default_aws: Any = None  # the aws= of runs that give none (set by the sfn fixture's use_aws)
        self.type = type  # "STANDARD" or "EXPRESS" (a template's Type/StateMachineType)
        unresolved = unresolved_resources(definition)
        if unresolved:  # it would run as some other integration, silently: refuse it, saying why
            raise DefinitionError([dataclasses.replace(p, source=source) for p in unresolved])
        self._compiled: CompiledMachine = compile_machine(definition)
        # The template this machine came from: its sibling machines can be started as children.
        self._template: Any = None
        self._express_checked = False
        for observer in _observers:
            observer.machine_loaded(self)

    # -- loading --------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, definition: dict[str, Any], *, name: str = "StateMachine",
                  substitutions: Mapping[str, Any] | None = None) -> "StateMachine":
        """From a parsed definition; ``substitutions`` fills its ``${name}`` placeholders."""
        from sfnsim.asl import load_definition

        loaded = load_definition(definition, substitutions=substitutions)
        return cls(loaded.raw, name=name)

    @classmethod
    def from_json(cls, text: str, *, name: str = "StateMachine") -> "StateMachine":
        """From JSON (or YAML) text."""
        from sfnsim.asl import load_definition

        loaded = load_definition(text)
        return cls(loaded.raw, name=name)

    from_yaml = from_json

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, name: str | None = None, machine: str | None = None,
                  substitutions: Mapping[str, Any] | None = None) -> "StateMachine":
        """From an ASL file (JSON/YAML) or a CloudFormation/SAM/CDK template.

        For a template, ``machine`` picks one of its state machines by logical id or name (needed
        when it has several); the machine's name is its ``Name``/``StateMachineName``, else its
        logical id. ``substitutions`` gives what only a deployment knows (parameters without a
        default, imports, ``${placeholders}``; ``AWS::Region``/``AWS::AccountId`` change where it is).
        """
        from sfnsim.asl import load_definition

        file_path = Path(path)
        loaded = load_definition(file_path, state_machine=machine, substitutions=substitutions)
        return cls._from_loaded(loaded, name or loaded.machine_name or machine_name_from_path(file_path),
                                str(file_path))

    @classmethod
    def from_template(cls, path: str | os.PathLike[str], *,
                      substitutions: Mapping[str, Any] | None = None) -> dict[str, "StateMachine"]:
        """Every state machine of a template, by name (see ``from_file``)."""
        from sfnsim.asl.definition import read_any_template

        template = read_any_template(Path(path), substitutions=substitutions)
        return {resource.name: cls._from_template_resource(template, resource) for resource in template.resources}

    @classmethod
    def _from_template_resource(cls, template: Any, resource: Any) -> "StateMachine":
        from sfnsim.asl.definition import load_template_machine

        loaded = load_template_machine(template, resource.logical_id)
        return cls._from_loaded(loaded, resource.name, str(template.source_name or resource.logical_id))

    @classmethod
    def _from_loaded(cls, loaded: Any, name: str, source: str) -> "StateMachine":
        machine = cls(loaded.raw, name=name, source=source, type=loaded.state_machine_type or "STANDARD")
        machine._template = loaded.template
        return machine

    # -- running --------------------------------------------------------------------------------
    def start(self, input: Any = None, *, handlers: Mapping[str, Handler] | None = None, seed: int = 0,
              start_time: datetime | None = None, name: str | None = None,
              s3_objects: Mapping[tuple[str, str], str] | None = None,
              mock_config: str | os.PathLike[str] | dict[str, Any] | None = None,
              test_case: str | None = None, inspect: bool = False, role_arn: str | None = None,
              region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT,
              run_for: float | None = None, aws: Any = None,
              state_machines: Mapping[str, "StateMachine"] | None = None, machine_type: str | None = None,
              sync: bool = False, setup_errors: str = "raise",
              handler_fallback: HandlerFallback | None = None,
              variables: Mapping[str, Any] | None = None) -> "Execution":
        """Start an execution and run it as far as it can go (to the end, or to a pending callback).

        ``run_for`` stops earlier, once that many virtual seconds have passed (0: only what happens
        at the start instant), so a test can act on a still-running execution, e.g. ``stop()`` it.

        ``handlers`` maps a state name, a resource ARN or a Lambda function name to a callable or
        mock; ``mock_config``/``test_case`` read an AWS Step Functions Local MockConfigFile.
        ``inspect=True`` records every state's data-flow stages (``Execution.inspection``).
        ``aws`` sends the Tasks no handler or mock answers to an AWS API, and the Map's ItemReader and
        ResultWriter to its S3: ``"moto"``, ``"endpoint=URL"``, ``"profile=NAME"``, a ``boto3.Session``
        or a mapping per service (see docs/aws.md). Without it, the machine's default (``sfn.use_aws``).
        ``state_machines`` maps ARNs or names to machines a ``states:startExecution`` Task may run
        in-process (a template's sibling machines are known already); see ``Execution.children``.
        ``machine_type`` ("STANDARD" or "EXPRESS") overrides the machine's own type (a template's
        ``Type``); ``sync=True`` starts an Express execution as StartSyncExecution does
        (``Execution.sync_response()``).
        ``setup_errors="fail"`` fails the execution (error ``sfnsim.HandlerError`` and the like)
        when a task turns out to have no handler or mock mid-run, instead of raising; a server
        that runs executions for remote clients wants that. ``handler_fallback(state_name,
        resource_arn)`` is asked last (after ``handlers`` and the MockConfigFile) for a handler.
        ``variables`` are workflow variables already in scope when the first state is entered.
        """
        if setup_errors not in ("raise", "fail"):
            raise ValueError(f"setup_errors must be 'raise' or 'fail', got {setup_errors!r}")
        kind = self._machine_type(machine_type, sync)
        options = ExecutionOptions(seed=seed, start_time=start_time, name=name, s3_objects=s3_objects or {},
                                   inspect=inspect, role_arn=role_arn, region=region, account=account,
                                   machine_type=kind, synchronous=sync, setup_errors=setup_errors,
                                   variables=variables)
        dispatcher = TaskDispatcher.create(handlers, mock_config=mock_config, test_case=test_case,
                                           machine_name=self.name, aws=self.default_aws if aws is None else aws,
                                           region=region, fallback=handler_fallback)
        if dispatcher.aws is not None:
            dispatcher.aws.seed_s3(options.s3_objects)
        runner = ExecutionRunner(self._compiled, self.name, {} if input is None else input, dispatcher, options)
        runner.run.machines = machine_catalog(self, state_machines, region=region, account=account)
        execution = Execution(self, runner)
        for observer in _observers:
            observer.execution_started(execution)
        runner.start(until=run_for)
        return execution

    def run(self, input: Any = None, *, handlers: Mapping[str, Handler] | None = None, seed: int = 0,
            start_time: datetime | None = None, name: str | None = None,
            s3_objects: Mapping[tuple[str, str], str] | None = None,
            mock_config: str | os.PathLike[str] | dict[str, Any] | None = None,
            test_case: str | None = None, inspect: bool = False, role_arn: str | None = None,
            region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT, aws: Any = None,
            state_machines: Mapping[str, "StateMachine"] | None = None, machine_type: str | None = None,
            sync: bool = False) -> "Execution":
        """Run an execution to its end and return it.

        Virtual time runs on past pending callbacks, so an unanswered ``.waitForTaskToken`` task
        times out as it would on AWS (or, with no timeout, leaves the execution RUNNING).
        """
        execution = self.start(input, handlers=handlers, seed=seed, start_time=start_time, name=name,
                               s3_objects=s3_objects, mock_config=mock_config, test_case=test_case,
                               inspect=inspect, role_arn=role_arn, region=region, account=account, aws=aws,
                               state_machines=state_machines, machine_type=machine_type, sync=sync)
        execution._runner.finish()
        return execution

    def _machine_type(self, machine_type: str | None, sync: bool) -> str:
        """The run's machine type, checked; an Express run gets AWS's Express-only definition checks."""
        kind = (machine_type or self.type or STANDARD).upper()
        if kind not in (STANDARD, EXPRESS):
            raise SfnSimError(f"machine_type must be 'STANDARD' or 'EXPRESS', got {machine_type!r}")
        if sync and kind != EXPRESS:
            raise SfnSimError("sync=True runs an execution as StartSyncExecution, which only starts EXPRESS "
                              "state machines: pass machine_type='EXPRESS'")
        if kind == EXPRESS and not self._express_checked:
            from sfnsim.asl import load_definition

            load_definition(self.definition, state_machine_type=EXPRESS)  # e.g. no activities, no .sync
            self._express_checked = True
        return kind

    def __repr__(self) -> str:
        return f"StateMachine({self.name!r}, states={list(self.definition.get('States', {}))})"


def machine_name_from_path(path: Path) -> str:
    """``etl.asl.json`` → ``etl``: the file name without its extensions."""
    return path.name.split(".", 1)[0] or "StateMachine"


class Execution(ExecutionAssertions):
    """The outcome of one run, and AWS-shaped views over its history."""

    def __init__(self, machine: StateMachine, runner: ExecutionRunner) -> None:
        self.machine = machine
        self._runner = runner

    @property
    def status(self) -> str:
        return self._runner.status

    @property
    def output(self) -> Any:
        return self._runner.output

    @property
    def error(self) -> str | None:
        return self._runner.error

    @property
    def cause(self) -> str | None:
        return self._runner.cause

    @property
    def execution_arn(self) -> str:
        return self._runner.info.execution_arn

    @property
    def history(self) -> list[dict[str, Any]]:
        """Events as dicts with AWS's keys; payloads as Python values (not JSON text)."""
        return self._runner.history.events

    @property
    def path(self) -> list[str]:
        """Names of the states entered, in order (Parallel branches and Map iterations included)."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.history if e["type"].endswith("StateEntered")]

    @property
    def s3_objects(self) -> dict[tuple[str, str], str]:
        """The simulated S3 store after the run: ``{(bucket, key): body}`` (ItemReader input, ResultWriter output).

        When ``aws=`` serves S3, the Map read and wrote that S3 instead: look there with boto3."""
        return self._runner.run.s3_objects

    @property
    def inspection(self) -> list[Any]:
        """Per-visit data-flow stages (``StateInspection``), when run with ``inspect=True``."""
        inspector = self._runner.run.inspector
        if inspector is None:
            raise ValueError("this execution was not inspected: run it with inspect=True")
        return inspector.visits

    def sync_response(self) -> dict[str, Any]:
        """What ``StartSyncExecution`` returns for this (synchronous Express) execution.

        Shaped as AWS's recorded responses: ``executionArn`` (``…:express:…``), ``stateMachineArn``,
        ``name``, ``startDate``/``stopDate``, ``status``, ``input``/``output`` with
        ``{"included": true}`` details, ``error``/``cause`` when it failed, and ``billingDetails``
        (duration rounded up to 100 ms, memory in 64 MB units as AWS bills Express).
        """
        runner = self._runner
        if not runner.synchronous:
            raise SfnSimError("sync_response() describes a StartSyncExecution: run with "
                              "machine_type='EXPRESS', sync=True")
        if runner.status == "RUNNING":
            raise SfnSimError("the execution is still RUNNING; StartSyncExecution answers once it ends")
        events = self.history
        started, stopped = events[0]["timestamp"], events[-1]["timestamp"]
        millis = (stopped - started).total_seconds() * 1000
        response: dict[str, Any] = {
            "executionArn": self.execution_arn,
            "stateMachineArn": runner.info.state_machine_arn,
            "name": runner.info.name,
            "startDate": started,
            "stopDate": stopped,
            "status": runner.status,
            "input": runner.input,
            "inputDetails": {"included": True},
            "outputDetails": {"included": True},
            "billingDetails": {"billedMemoryUsedInMB": 64,
                               "billedDurationInMilliseconds": max(100, -(-int(round(millis)) // 100) * 100)},
        }
        if runner.status == "SUCCEEDED":
            response["output"] = runner.output
        for key, value in (("error", runner.error), ("cause", runner.cause)):
            if value is not None:
                response[key] = value
        return response

    @property
    def recording(self) -> HistoryRecorder:
        """The history with what sfnsim notes beside it: ``matched_choice_rules`` (which Choice rule
        matched, which AWS's events do not say)."""
        return self._runner.history

    def to_aws_history(self) -> dict[str, Any]:
        """Exactly what ``aws stepfunctions get-execution-history`` prints: ``{"events": [...]}``."""
        return to_aws_events(self.history)

    @property
    def children(self) -> list[ChildExecutionView]:
        """The child executions it started, in start order: ``states:startExecution`` Tasks run
        in-process and Distributed Map children, each with its own history and assertions."""
        return [ChildExecutionView(child) for child in self._runner.run.children]

    def state(self, name: str) -> StateView:
        """Every visit to state ``name`` (inside Distributed Map child executions too)."""
        __tracebackhide__ = True
        return with_map_children(super().state(name), self._runner.run.children)

    # -- while RUNNING: callbacks, time, stopping ------------------------------------------------
    @property
    def pending_tokens(self) -> list[str]:
        """Task tokens that ``.waitForTaskToken`` tasks are waiting on."""
        return self._runner.pending_tokens

    def send_task_success(self, token: str, output: Any) -> "Execution":
        self._runner.send_task_success(token, output)
        return self

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> "Execution":
        self._runner.send_task_failure(token, error, cause)
        return self

    def send_task_heartbeat(self, token: str) -> "Execution":
        self._runner.send_task_heartbeat(token)
        return self

    def start_activity_task(self, token: str, worker_name: str) -> "Execution":
        """A worker took the activity task waiting on ``token`` (what GetActivityTask does).

        An activity handler that returns ``sfnsim.PENDING`` leaves its task to a worker: the
        handler's ``TaskContext.task_token`` names it; ActivityStarted is recorded now, with
        ``worker_name``, and the task then waits for ``send_task_success``/``send_task_failure``.
        """
        self._runner.start_activity_task(token, worker_name)
        return self

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the execution started."""
        return self._runner.clock.elapsed

    @property
    def next_timer(self) -> float | None:
        """When (virtual seconds since the start) the next timer fires, e.g. a callback's timeout;
        None when nothing is scheduled or the execution has ended."""
        return self._runner.next_timer()

    def run_pending(self) -> "Execution":
        """Run on through everything that does not wait on the outside world (Waits, retry
        back-offs, task durations), stopping where only callbacks or activity workers can help."""
        self._runner.advance(quiesce=True)
        return self

    def advance_time(self, seconds: float) -> "Execution":
        """Let virtual time pass while the execution waits on callbacks."""
        self._runner.advance_time(seconds)
        return self

    def finish(self) -> "Execution":
        """Let virtual time run until the execution ends (unanswered callbacks time out)."""
        self._runner.finish()
        return self

    def stop(self, error: str | None = None, cause: str | None = None) -> "Execution":
        """Abort a RUNNING execution, as StopExecution does."""
        self._runner.stop(error, cause)
        return self

    def __repr__(self) -> str:
        detail = f"error={self.error!r}" if self.status != "SUCCEEDED" else f"output={self.output!r}"
        return f"Execution(status={self.status!r}, {detail})"
