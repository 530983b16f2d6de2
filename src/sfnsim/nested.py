"""Nested executions in the Python API: which machines a run can start in-process, and the views
of the child executions it started (``Execution.children``).

A ``states:startExecution`` Task runs its child in-process when the target is known: a machine
given with ``run(..., state_machines={ARN_OR_NAME: StateMachine})``, a sibling machine of the same
template, or the machine itself. Targets are matched by ARN, or by the machine name the ARN ends
with (``arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:QUALIFIER]``), so a template machine is
found whatever region and account the run uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from sfnsim.engine.child_executions import ChildExecution, MachineCatalog, NestedMachine
from sfnsim.errors import HandlerError
from sfnsim.history.assertions import ExecutionAssertions
from sfnsim.history.trace import StateView

if TYPE_CHECKING:
    from sfnsim.api import StateMachine


def machine_name_in(arn_or_name: str) -> str:
    """``NAME`` from a state machine ARN (any qualifier dropped), or the text itself."""
    parts = arn_or_name.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[5] == "stateMachine":
        return parts[6]
    return arn_or_name


def machine_catalog(machine: "StateMachine", given: Mapping[str, "StateMachine"] | None, *,
                    region: str, account: str) -> MachineCatalog:
    """The machines ``machine``'s runs can start: ``given``, its template's siblings, and itself."""
    given = dict(given or {})
    for key, value in given.items():
        if not isinstance(key, str) or not hasattr(value, "_compiled"):
            raise HandlerError(
                f"state_machines maps a state machine ARN or name to a StateMachine, got {key!r}: {value!r}"
            )
    loaded: dict[str, "StateMachine"] = {}

    def sibling(name: str) -> "StateMachine | None":
        template = machine._template
        if template is None:
            return None
        for resource in template.resources:
            if name in (resource.name, resource.logical_id):
                if resource.name not in loaded:
                    loaded[resource.name] = type(machine)._from_template_resource(template, resource)
                return loaded[resource.name]
        return None

    def lookup(arn_or_name: str) -> NestedMachine | None:
        name = machine_name_in(arn_or_name)
        found = given.get(arn_or_name) or given.get(name)
        if found is None:
            found = machine if name == machine.name else sibling(name)
        if found is None:
            return None
        arn = f"arn:aws:states:{region}:{account}:stateMachine:{found.name}"
        return NestedMachine(found._compiled, found.name, arn, found.definition)

    return MachineCatalog(lookup)


@dataclass(frozen=True)
class _ChildMachine:
    name: str
    definition: dict[str, Any]


class ChildExecutionView(ExecutionAssertions):
    """A child execution (startExecution or Distributed Map child): its history and how it ended,
    with the same views and assertions as ``Execution`` (``state(...)``, ``assert_succeeded()``...)."""

    def __init__(self, record: ChildExecution) -> None:
        self._record = record
        self.machine = _ChildMachine(record.state_machine_name, record.definition)

    kind = property(lambda self: self._record.kind, doc='"startExecution" or "map" (a Distributed Map child)')
    parent_state = property(lambda self: self._record.parent_state, doc="the state that started it")
    execution_arn = property(lambda self: self._record.execution_arn)
    name = property(lambda self: self._record.name)
    state_machine_arn = property(lambda self: self._record.state_machine_arn)
    input = property(lambda self: self._record.input)
    status = property(lambda self: self._record.status)
    output = property(lambda self: self._record.output)
    error = property(lambda self: self._record.error)
    cause = property(lambda self: self._record.cause)
    started_by = property(lambda self: self._record.started_by,
                          doc="the AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID its input carried, if any")

    @property
    def history(self) -> list[dict[str, Any]]:
        return self._record.history.events

    @property
    def recording(self) -> Any:
        """Its history's recorder, with what sfnsim notes beside the events (as ``Execution.recording``)."""
        return self._record.history

    @property
    def path(self) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history if e["type"].endswith("StateEntered")]

    @property
    def inspection(self) -> list[Any]:
        """Per-visit data-flow stages, when the parent ran with ``inspect=True`` (startExecution children)."""
        if self._record.inspector is None:
            raise ValueError("this child execution was not inspected: run its parent with inspect=True")
        return self._record.inspector.visits

    @property
    def children(self) -> list["ChildExecutionView"]:
        return [ChildExecutionView(child) for child in self._record.children]

    def to_aws_history(self) -> dict[str, Any]:
        from sfnsim.history.events import to_aws_events

        return to_aws_events(self.history)

    def __repr__(self) -> str:
        return f"ChildExecution({self.kind}, {self.name!r}, status={self.status!r}, from state {self.parent_state!r})"


def with_map_children(view: StateView, children: list[ChildExecution]) -> StateView:
    """``view`` with the visits made inside Distributed Map child executions added: their states
    belong to the parent's definition, though AWS keeps their events in the children's histories."""
    for child in children:
        if child.kind != "map":
            continue
        view.visits.extend(ChildExecutionView(child).trace.visits_of(view.name))
        with_map_children(view, child.children)
    return view
