"""A run, told state by state: the tree of state visits every walkthrough renderer reads.

``build_walkthrough(execution)`` turns an execution's inspection records (``run(inspect=True)``)
and its history into ``Step`` objects: each visit with its data-flow stages in AWS's TestState
words, where it sits (which Map iteration or Parallel branch), when it ran in virtual time, the
variables it saw and set, and the Choice/Retry/Catch/Map details a learner needs. Renderers
(text, Markdown, HTML) only format what is here.

Which Map/Parallel visit a nested visit belongs to is read from the history's ``previousEventId``
links, so concurrent iterations are told apart correctly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from sfnsim.engine.inspection import StateInspection
from sfnsim.i18n import N_, _
from sfnsim.walk.details import (
    MISSING,
    RetryStep,
    RuleCheck,
    choice_checks,
    map_items,
    retry_steps,
)
from sfnsim.walk.machine import CONTAINERS, StatePlace, index_states, state_type

if TYPE_CHECKING:
    from sfnsim.api import Execution


@dataclass(frozen=True)
class Stage:
    """One data-flow stage of a visit: AWS's field name, the ASL field that produced it, the value."""

    key: str  # afterInputPath, afterParameters, result, ... (TestState inspection names)
    field: str | None  # the ASL field applied at this stage (InputPath, Parameters, ...)
    expression: Any  # that field's value in the definition, MISSING when the state does not set it
    value: Any
    changed: bool  # whether the value differs from the previous stage's

    @property
    def is_set(self) -> bool:
        return self.expression is not MISSING


_LANE_KINDS = (N_("iteration"), N_("branch"), N_("child execution"))


@dataclass(frozen=True)
class Lane:
    """Where a nested visit runs: a Map iteration, a Parallel branch, or a distributed Map child."""

    kind: str  # "iteration" | "branch" | "child execution" (translated when printed)
    index: int

    def __str__(self) -> str:
        return f"{_(self.kind)} {self.index}"


@dataclass
class Step:
    number: int  # position in narration order, from 1
    visit: StateInspection
    spec: dict[str, Any]
    parent: "Step | None" = None
    previous: "Step | None" = None  # the visit before this one in the same branch or iteration
    lane: Lane | None = None
    children: list["Step"] = field(default_factory=list)
    entered_offset: float = 0.0  # virtual seconds since the execution started
    exited_offset: float | None = None
    variables_before: dict[str, Any] = field(default_factory=dict)
    variables_after: dict[str, Any] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    choice: list[RuleCheck] = field(default_factory=list)
    retries: list[RetryStep] = field(default_factory=list)
    catch: dict[str, Any] | None = None
    items: Any = MISSING  # Map: afterItemsPath (JSONPath), the array the iterations run over
    item_inputs: list[Any] = field(default_factory=list)  # Map: afterItemSelector, one per iteration
    branch_input: Any = MISSING  # Parallel: the input every branch receives
    finished: bool = True  # False while the state still runs (e.g. a task waiting for its callback)

    # -- the facts renderers ask for ------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.visit.name

    @property
    def state_type(self) -> str:
        return self.visit.state_type

    @property
    def jsonata(self) -> bool:
        return self.visit.query_language == "JSONata"

    @property
    def is_container(self) -> bool:
        return self.state_type in CONTAINERS

    @property
    def next(self) -> str | None:
        return self.visit.next

    @property
    def output(self) -> Any:
        return self.visit.output

    @property
    def error(self) -> dict[str, Any] | None:
        """``errorDetails``: the error the state failed with (after any Retry, when no Catch took it)."""
        return self.visit.error

    @property
    def assigned(self) -> dict[str, Any] | None:
        return self.visit.stages.get("variables")

    @property
    def duration(self) -> float | None:
        return None if self.exited_offset is None else self.exited_offset - self.entered_offset

    @property
    def trail(self) -> list[str]:
        """Where this visit runs, outermost first: ``["Map PriceEachOrder", "iteration 0"]``."""
        trail: list[str] = []
        step: Step | None = self
        while step is not None and step.parent is not None:
            trail[:0] = [f"{step.parent.state_type} {step.parent.name}", str(step.lane)]
            step = step.parent
        return trail

    def walk(self) -> "list[Step]":
        """This step and every step nested in it, in narration order."""
        steps = [self]
        for child in self.children:
            steps.extend(child.walk())
        return steps


@dataclass(frozen=True)
class Block:
    """One stop of a walkthrough: a whole state, or a Map/Parallel's entry or its return."""

    step: Step
    part: str  # "state" | "enter" | "leave"


@dataclass
class Walkthrough:
    machine_name: str
    definition: dict[str, Any]
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None
    started_at: datetime
    ended_offset: float | None
    steps: list[Step]  # the top-level visits; nested visits hang below them
    inspected: bool = True  # False when built from the history alone (input and output only)
    # The executions states:startExecution Tasks started, each with its walkthrough (Distributed Map
    # children are narrated inside their Map); ``started_by`` names the Task.
    children: list["Walkthrough"] = field(default_factory=list)
    started_by: str | None = None

    @property
    def comment(self) -> str | None:
        comment = self.definition.get("Comment")
        return comment if isinstance(comment, str) else None

    def all_steps(self) -> list[Step]:
        return [s for top in self.steps for s in top.walk()]

    def blocks(self, state: str | None = None) -> list[Block]:
        """The stops in narration order; ``state`` keeps only the visits to that state."""
        blocks: list[Block] = []
        for step in self.all_steps():
            if state is not None and step.name != state:
                continue
            if step.is_container and (step.children or state is None):
                blocks.append(Block(step, "enter"))
                if state is not None:
                    blocks.append(Block(step, "leave"))
            else:
                blocks.append(Block(step, "state"))
        if state is None:
            blocks = _place_leave_blocks(blocks)
        return blocks


def _place_leave_blocks(blocks: list[Block]) -> list[Block]:
    """Put each Map/Parallel's "leave" block right after the last block nested in it."""
    placed: list[Block] = []
    open_containers: list[Step] = []
    for block in blocks:
        while open_containers and not _inside(block.step, open_containers[-1]):
            placed.append(Block(open_containers.pop(), "leave"))
        placed.append(block)
        if block.part == "enter":
            open_containers.append(block.step)
    while open_containers:
        placed.append(Block(open_containers.pop(), "leave"))
    return placed


def _inside(step: Step, container: Step) -> bool:
    parent = step.parent
    while parent is not None:
        if parent is container:
            return True
        parent = parent.parent
    return False


# -- building ---------------------------------------------------------------------------------------
def build_walkthrough(execution: "Execution") -> Walkthrough:
    """The walkthrough of a finished (or paused) execution.

    An execution run with ``inspect=True`` gives every data-flow stage; any other execution gives
    what its history holds (each state's input and output).
    """
    definition = execution.machine.definition
    history = execution.history
    try:
        visits = list(execution.inspection)
        inspected = True
    except ValueError:
        visits = visits_from_history(history, definition)
        inspected = False
    places = index_states(definition)
    timeline = _Timeline(history)
    steps = _Linker(history, places).link(visits)
    for step in steps:
        step.entered_offset = timeline.offset_of(step.visit.entered_time)
    for step in reversed(steps):  # nested visits first: a Map ends no earlier than its iterations
        step.exited_offset = timeline.exit_offset(step)
        step.finished = timeline.finished(step, execution.status)
    top = [s for s in steps if s.parent is None]
    _number(top)
    _track_variables(top, {})
    for step in steps:
        _describe(step)
    started = timeline.start
    return Walkthrough(
        machine_name=execution.machine.name, definition=definition, status=execution.status,
        input=_execution_input(history), output=execution.output, error=execution.error,
        cause=execution.cause, started_at=started, ended_offset=timeline.end_offset(execution.status),
        steps=top, inspected=inspected,
        children=[_child_walkthrough(child) for child in getattr(execution, "children", []) if child.kind != "map"],
    )


def _child_walkthrough(child: Any) -> Walkthrough:
    walkthrough = build_walkthrough(child)
    walkthrough.machine_name = f"{walkthrough.machine_name} (execution {child.name})"
    walkthrough.started_by = child.parent_state
    return walkthrough


def visits_from_history(history: list[dict[str, Any]], definition: dict[str, Any]) -> list[StateInspection]:
    """Inspection records rebuilt from StateEntered/StateExited events (no inner stages)."""
    places = index_states(definition)
    visits: list[StateInspection] = []
    by_entered: dict[int, StateInspection] = {}
    for event in history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            place = places.get(details["name"])
            language = _query_language(place, definition, places)
            visit = StateInspection(details["name"], kind[: -len("StateEntered")], language, event["id"],
                                    _iso(event["timestamp"]), details.get("input"))
            visits.append(visit)
            by_entered[event["id"]] = visit
    for event in history:
        if event["type"].endswith("StateExited"):
            entered = _walk_back_to_entered(history, event)
            if entered is not None and entered in by_entered:
                details = event["stateExitedEventDetails"]
                by_entered[entered].output = details.get("output")
                if "assignedVariables" in details:
                    by_entered[entered].stages["variables"] = details["assignedVariables"]
    return visits


def _query_language(place: StatePlace | None, definition: dict[str, Any], places: dict[str, StatePlace]) -> str:
    default = definition.get("QueryLanguage") or "JSONPath"
    if place is None:
        return default
    own = place.spec.get("QueryLanguage")
    if own:
        return own
    return _query_language(places.get(place.container), definition, places) if place.container else default


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _execution_input(history: list[dict[str, Any]]) -> Any:
    for event in history:
        if event["type"] == "ExecutionStarted":
            return event["executionStartedEventDetails"].get("input")
    return None


def _walk_back_to_entered(history: list[dict[str, Any]], exited: dict[str, Any]) -> int | None:
    """The StateEntered event a StateExited event closes: the first one of that name up its links."""
    name = exited["stateExitedEventDetails"]["name"]
    entered_type = exited["type"][: -len("Exited")] + "Entered"
    event_id = exited["previousEventId"]
    while event_id:
        event = history[event_id - 1]
        if event["type"] == entered_type and event["stateEnteredEventDetails"]["name"] == name:
            return event_id
        event_id = event["previousEventId"]
    return None


class _Timeline:
    """Virtual times of visits, read from the history."""

    def __init__(self, history: list[dict[str, Any]]) -> None:
        self.history = history
        self.start: datetime = history[0]["timestamp"]
        self.exits: dict[int, datetime] = {}
        for event in history:
            if event["type"].endswith("StateExited"):
                entered = _walk_back_to_entered(history, event)
                if entered is not None:
                    self.exits[entered] = event["timestamp"]
        # The visit each event belongs to at its own level: the nearest StateEntered up its links.
        self.owner: dict[int, int] = {}
        self.last_event: dict[int, datetime] = {}
        for event in history:
            if event["type"].endswith("StateEntered"):
                owner = event["id"]
            else:
                owner = self.owner.get(event["previousEventId"], 0)
            self.owner[event["id"]] = owner
            if owner:
                self.last_event[owner] = event["timestamp"]

    def offset_of(self, iso_time: str) -> float:
        moment = datetime.fromisoformat(iso_time.replace("Z", "+00:00"))
        return (moment - self.start).total_seconds()

    def exit_offset(self, step: Step) -> float | None:
        if not _recorded_here(self.history, step.visit):
            return None
        entered = step.visit.entered_event_id
        moment = self.exits.get(entered) or self.last_event.get(entered)
        if moment is None:
            return None
        end = (moment - self.start).total_seconds()
        nested_ends = [c.exited_offset for c in step.children if c.exited_offset is not None]
        return max([end, *nested_ends])

    def finished(self, step: Step, status: str) -> bool:
        if step.error is not None or status != "RUNNING":
            return True
        if _recorded_here(self.history, step.visit):
            return step.visit.entered_event_id in self.exits
        return step.visit.next is not None or "afterOutputPath" in step.visit.stages or "output" in step.visit.stages

    def end_offset(self, status: str) -> float | None:
        if status == "RUNNING":
            return None
        return (self.history[-1]["timestamp"] - self.start).total_seconds()


def _recorded_here(history: list[dict[str, Any]], visit: StateInspection) -> bool:
    """Whether the visit's StateEntered event is in this history (not a distributed Map child's)."""
    event_id = visit.entered_event_id
    if not 0 < event_id <= len(history):
        return False
    event = history[event_id - 1]
    details = event.get("stateEnteredEventDetails")
    return (event["type"] == f"{visit.state_type}StateEntered" and details is not None
            and details["name"] == visit.name and details.get("input") is visit.input)


class _Linker:
    """Hangs each nested visit under the Map/Parallel visit that ran it."""

    def __init__(self, history: list[dict[str, Any]], places: dict[str, StatePlace]) -> None:
        self.history = history
        self.places = places
        self.memo: dict[tuple[str, int], int | None] = {}

    def link(self, visits: list[StateInspection]) -> list[Step]:
        steps: list[Step] = []
        by_entered: dict[int, Step] = {}
        child_counters: dict[int, int] = {}
        for visit in visits:
            place = self.places.get(visit.name)
            step = Step(0, visit, place.spec if place else {})
            steps.append(step)
            recorded = _recorded_here(self.history, visit)
            if recorded:
                by_entered[visit.entered_event_id] = step
            if place is None or place.container is None:
                continue
            container = self.places[place.container]
            parent = self._parent(visit, container, by_entered) if recorded else None
            if parent is None:
                parent = next((s for s in reversed(steps[:-1]) if s.name == container.name), None)
            if parent is None:
                continue
            step.parent = parent
            parent.children.append(step)
            step.lane = self._lane(visit, place, container, recorded, parent, child_counters)
        return steps

    def _parent(self, visit: StateInspection, container: StatePlace, by_entered: dict[int, Step]) -> Step | None:
        entered_type = f"{state_type(container.spec)}StateEntered"
        found = self._first_up(visit.entered_event_id, f"enter:{container.name}", lambda e: (
            e["type"] == entered_type and e["stateEnteredEventDetails"]["name"] == container.name))
        return by_entered.get(found) if found else None

    def _lane(self, visit: StateInspection, place: StatePlace, container: StatePlace, recorded: bool,
              parent: Step, counters: dict[int, int]) -> Lane:
        if place.branch is not None:
            return Lane("branch", place.branch)
        if recorded:
            found = self._first_up(visit.entered_event_id, f"iteration:{container.name}", lambda e: (
                e["type"] == "MapIterationStarted" and e["mapIterationStartedEventDetails"]["name"] == container.name))
            if found:
                return Lane("iteration", self.history[found - 1]["mapIterationStartedEventDetails"]["index"])
        # A distributed Map's children keep their own histories: number them as they start.
        key = id(parent)
        processor = _processor_start(container.spec)
        if visit.name == processor or key not in counters:
            counters[key] = counters.get(key, -1) + 1
        return Lane("child execution", counters[key])

    def _first_up(self, event_id: int, key: str, matches: Callable[[dict[str, Any]], bool]) -> int | None:
        """The first event up the previousEventId links from ``event_id`` that ``matches`` (memoised)."""
        path: list[int] = []
        found: int | None = None
        current = self.history[event_id - 1]["previousEventId"]
        while current:
            if (key, current) in self.memo:
                found = self.memo[(key, current)]
                break
            event = self.history[current - 1]
            if matches(event):
                found = current
                break
            path.append(current)
            current = event["previousEventId"]
        for visited in path:
            self.memo[(key, visited)] = found
        return found


def _processor_start(spec: dict[str, Any]) -> str | None:
    processor = spec.get("ItemProcessor") or spec.get("Iterator") or {}
    return processor.get("StartAt") if isinstance(processor, dict) else None


def _number(top: list[Step]) -> None:
    for number, step in enumerate((s for t in top for s in t.walk()), start=1):
        step.number = number


def _track_variables(steps: list[Step], variables: dict[str, Any]) -> dict[str, Any]:
    """Each visit's predecessor, and its variables before and after.

    Branches and iterations see a copy of the variables: what they assign stays inside.
    """
    previous: Step | None = None
    for step in steps:
        step.previous, previous = previous, step
        step.variables_before = dict(variables)
        lanes: dict[Lane | None, list[Step]] = {}
        for child in step.children:
            lanes.setdefault(child.lane, []).append(child)
        for lane_steps in lanes.values():
            _track_variables(lane_steps, dict(variables))
        if step.assigned:
            variables = {**variables, **step.assigned}
        step.variables_after = dict(variables)
    return variables


# -- per-state details ------------------------------------------------------------------------------
_JSONPATH_STAGES = (
    ("input", None),
    ("afterInputPath", "InputPath"),
    ("afterParameters", "Parameters"),
    ("result", None),
    ("afterResultSelector", "ResultSelector"),
    ("variables", "Assign"),
    ("afterResultPath", "ResultPath"),
    ("afterOutputPath", "OutputPath"),
)
_JSONATA_STAGES = (
    ("input", None),
    ("afterArguments", "Arguments"),
    ("result", None),
    ("variables", "Assign"),
    ("output", "Output"),
)
# A Pass state's result is its Result field; the other states' result comes from elsewhere.
_RESULT_FIELD = {"Pass": "Result"}


def _describe(step: Step) -> None:
    step.stages = _stages(step)
    notes = step.visit.notes
    if step.state_type == "Choice":
        step.choice = choice_checks(step, next((n for n in notes if n["kind"] == "choice"), None))
    step.retries = retry_steps(step.spec, [n for n in notes if n["kind"] == "retry"])
    step.catch = next((n for n in notes if n["kind"] == "catch"), None)
    if step.state_type == "Map":
        step.items = map_items(step)
        step.item_inputs = _iteration_inputs(step)
    if step.state_type == "Parallel":
        parallel = next((n for n in notes if n["kind"] == "parallel"), None)
        step.branch_input = parallel["input"] if parallel else MISSING


def _stages(step: Step) -> list[Stage]:
    table = _JSONATA_STAGES if step.jsonata else _JSONPATH_STAGES
    recorded = {"input": step.visit.input, **step.visit.stages}
    stages: list[Stage] = []
    previous: Any = MISSING
    for key, field_name in table:
        if key not in recorded:
            continue
        if key == "result":
            field_name = _RESULT_FIELD.get(step.state_type)
        expression = step.spec.get(field_name, MISSING) if field_name else MISSING
        value = recorded[key]
        changed = key != "variables" and previous is not MISSING and value != previous
        stages.append(Stage(key, field_name, expression, value, changed or previous is MISSING))
        if key != "variables":
            previous = value
    return stages


def _iteration_inputs(step: Step) -> list[Any]:
    first: dict[int, Any] = {}
    for child in step.children:
        if child.lane is not None and child.lane.index not in first:
            first[child.lane.index] = child.visit.input
    return [first[i] for i in sorted(first)]
