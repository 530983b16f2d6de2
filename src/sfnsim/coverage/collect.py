"""Which states and branches one execution history exercised, read from its AWS-shaped events.

The same reading serves sfnsim's own runs and histories saved by ``sfnsim run --history-out`` or
exported from AWS, so tests and production traffic are measured alike. The history is grouped into
state visits by ``history.steps`` (it follows ``previousEventId``, so interleaved Parallel branches
and Map iterations are told apart), and each visit is read as AWS documents the States Language:

* a **Choice** visit that exited went to the state entered next. When one rule (or only Default)
  leads there, that is the branch. When several share that Next the events cannot say which
  matched, so sfnsim's own runs note the rule's index beside the history (``matched_choice_rules``,
  which leaves the events exactly AWS's); for other histories the rules are evaluated again on the
  recorded input (``choice_replay``), and when even that cannot tell, the visit is reported as
  undetermined rather than guessed.
* a **Catcher** fired when a visit's last try failed and the state still exited: the catcher is
  the first whose ``ErrorEquals`` matches that try's error (AWS scans catchers in order).
* a **Retrier** fired for each failed try followed by another try in the same visit: the first
  retrier whose ``ErrorEquals`` matches the error (AWS uses the first match, never a later one).
  A try is a task attempt; for a Parallel or Map it is one run of its branches, and a new
  ``ParallelStateStarted``/``MapStateStarted`` in the same visit means the previous run was retried.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sfnsim.coverage.choice_replay import rule_matched_again
from sfnsim.coverage.items import Branch, MachineItems
from sfnsim.engine.recovery import error_matches
from sfnsim.errors import StatesError
from sfnsim.history.steps import ATTEMPT_ENDS, Step, details_of, step_tree

_RUN_STARTS = frozenset({"ParallelStateStarted", "MapStateStarted"})
_RUN_SUCCEEDED = frozenset({"ParallelStateSucceeded", "MapStateSucceeded"})
_RUN_FAILED = frozenset({"ParallelStateFailed", "MapStateFailed"})


@dataclass
class Hits:
    """What some histories exercised: visits per state, times per branch, and what could not be told."""

    states: Counter[str] = field(default_factory=Counter)
    branches: Counter[str] = field(default_factory=Counter)  # Branch.id -> times taken
    undetermined: Counter[str] = field(default_factory=Counter)  # why a visit's branch is unknown -> times
    unknown_states: set[str] = field(default_factory=set)  # entered, but not in the definition

    def update(self, other: "Hits") -> None:
        self.states.update(other.states)
        self.branches.update(other.branches)
        self.undetermined.update(other.undetermined)
        self.unknown_states.update(other.unknown_states)


@dataclass(frozen=True)
class _Try:
    """One try at a state's work: a task attempt, or one run of a Parallel's or Map's branches."""

    failed: bool
    error: str | None


def history_hits(items: MachineItems, events: list[dict[str, Any]],
                 matched_choice_rules: Mapping[int, int | None] | None = None) -> Hits:
    """What one history exercised. ``matched_choice_rules`` maps a ChoiceStateEntered id to the
    index of the rule that matched (None: Default), when the run that wrote the history noted it."""
    hits = Hits()
    reader = _Reader(items, matched_choice_rules or {}, hits)
    for step in step_tree(events).steps():
        reader.read(step)
    return hits


def execution_hits(items: MachineItems, execution: Any) -> Hits:
    """What an sfnsim execution (an ``Execution`` or a child's view) exercised: its history, with
    the Choice rules it noted, and its Distributed Map children's, whose states are this machine's."""
    recording = execution.recording
    hits = history_hits(items, recording.events, recording.matched_choice_rules)
    for child in execution.children:
        if child.kind == "map":
            hits.update(execution_hits(items, child))
    return hits


class _Reader:
    def __init__(self, items: MachineItems, matched: Mapping[int, int | None], hits: Hits) -> None:
        self.items = items
        self.matched = matched
        self.hits = hits

    def read(self, step: Step) -> None:
        if step.name not in self.items.states:
            self.hits.unknown_states.add(step.name)
            return
        self.hits.states[step.name] += 1
        spec = self.items.specs[step.name]
        if step.state_type == "Choice":
            self._choice(step, spec)
            return
        tries = tries_of(step, self.items)
        for failed_try in (t for t, _ in zip(tries, tries[1:]) if t.failed):
            self._take(self._first_matching(step.name, "retry", failed_try.error, None))
        if step.exited is not None and tries and tries[-1].failed:
            target = step.next.name if step.next is not None else None
            self._take(self._first_matching(step.name, "catch", tries[-1].error, target))

    def _choice(self, step: Step, spec: dict[str, Any]) -> None:
        if step.exited is None:
            return  # States.NoChoiceMatched, a runtime error, or still running: no branch taken
        entered_id = step.entered.get("id")
        if entered_id in self.matched:
            rule = self.matched[entered_id]
            self._take(self._by_id(step.name, "Default" if rule is None else f"Choices/{rule}"))
            return
        if step.next is None:
            return  # the history stops after the Choice (an execution stopped from outside)
        target = step.next.name
        candidates = [b for b in self.items.branches
                      if b.state == step.name and b.kind in ("choice", "default") and b.target == target]
        if len(candidates) == 1:
            self._take(candidates[0])
        elif candidates and self._replayed(step, spec, candidates):
            return
        elif candidates:
            shown = " or ".join(b.label.rsplit(" (", 1)[1].rstrip(")") for b in candidates)
            self.hits.undetermined[f"{step.name} → {target}: {shown} (the history does not say which matched)"] += 1
        else:
            self.hits.undetermined[f"{step.name} → {target}: no rule or Default of {step.name} leads there"] += 1

    def _replayed(self, step: Step, spec: dict[str, Any], candidates: list[Branch]) -> bool:
        known, rule = rule_matched_again(spec, self.items.query_language_of(step.name), details_of(step.entered))
        branch = self.items.by_id.get(f"{step.name}/Default" if rule is None else f"{step.name}/Choices/{rule}")
        if known and branch in candidates:  # agrees with where the execution went
            self._take(branch)
            return True
        return False

    def _first_matching(self, state: str, kind: str, error: str | None, target: str | None) -> Branch | str:
        """The retrier or catcher AWS would pick for ``error``; a reason string when it cannot be told."""
        handlers = self.items.branches_of(state, kind)
        if kind == "catch" and target is not None:
            leading_there = [b for b in handlers if b.target == target]
        else:
            leading_there = handlers
        if error is not None:
            specs = self.items.specs[state].get("Retry" if kind == "retry" else "Catch") or []
            for branch in handlers:
                error_equals = tuple(specs[branch.index].get("ErrorEquals") or ())  # type: ignore[index]
                # A history shows the error was retried or caught, so it was not a terminal one.
                if error_matches(error_equals, StatesError(error, terminal=False)):
                    if branch in leading_there:
                        return branch
                    break  # the history disagrees with the definition: go by where it went
        if len(leading_there) == 1:
            return leading_there[0]
        what = "retrier" if kind == "retry" else "catcher"
        if not leading_there:
            return f"{state}: a {what} fired, but none of {state}'s leads to {target}"
        named = f"error {error}" if error is not None else "an error the history does not name"
        return f"{state}: a {what} fired for {named}; which of {state}'s {what}s cannot be told"

    def _by_id(self, state: str, suffix: str) -> Branch | str:
        branch = self.items.by_id.get(f"{state}/{suffix}")
        return branch if branch is not None else f"{state}: the run noted {suffix}, which the definition lacks"

    def _take(self, branch: Branch | str) -> None:
        if isinstance(branch, Branch):
            self.hits.branches[branch.id] += 1
        elif isinstance(branch, str):
            self.hits.undetermined[branch] += 1


# ---------------------------------------------------------------------------------------------
# Tries and their errors


def tries_of(step: Step, items: MachineItems) -> list[_Try]:
    """The tries of one visit, in order, each failed or not and with the error the history names."""
    if step.state_type in ("Parallel", "Map"):
        return _container_tries(step, items)
    tries = []
    for event in step.events:
        event_type = event["type"]
        if event_type in ATTEMPT_ENDS:
            tries.append(_Try(ATTEMPT_ENDS[event_type] != "succeeded", details_of(event).get("error")))
        elif event_type == "EvaluationFailed":
            tries.append(_Try(True, details_of(event).get("error")))
    return tries


def _container_tries(step: Step, items: MachineItems) -> list[_Try]:
    tries: list[_Try] = []
    started: int | None = None  # the id of the open run's Started event
    run_error: str | None = None
    for event in step.events:
        event_type, event_id = event["type"], event.get("id")
        if event_type in _RUN_STARTS:
            if started is not None:  # started again without ending: that run failed and was retried
                tries.append(_Try(True, _children_error(step, started, event_id, items)))
            started, run_error = event_id, None
        elif event_type == "MapRunFailed":
            run_error = details_of(event).get("error")
        elif event_type in _RUN_SUCCEEDED and started is not None:
            tries.append(_Try(False, None))
            started = None
        elif event_type in _RUN_FAILED and started is not None:
            tries.append(_Try(True, run_error or _children_error(step, started, event_id, items)))
            started = None
        elif event_type == "EvaluationFailed":
            tries.append(_Try(True, details_of(event).get("error")))
            started = None
    return tries


def _children_error(step: Step, after_id: Any, before_id: Any, items: MachineItems) -> str | None:
    """The error of the branch that failed one run of a Parallel or Map (entered between two ids).

    A state that failed never exited; AWS may also record it as aborted once the run is being
    stopped, so its own last try is what says it failed, not the absence of an abort."""
    errors = [error_of_failed(child, items) for child in _children_between(step.children, after_id, before_id)
              if child.exited is None]
    named = [error for error in errors if error is not None]
    return named[-1] if named else None


def _children_between(children: Iterable[Step], after_id: Any, before_id: Any) -> list[Step]:
    def inside(child: Step) -> bool:
        entered = child.entered.get("id")
        if not isinstance(entered, int) or not isinstance(after_id, int):
            return True
        return entered > after_id and (not isinstance(before_id, int) or entered < before_id)

    return [child for child in children if inside(child)]


def error_of_failed(step: Step, items: MachineItems) -> str | None:
    """The error a failed visit ended with, as far as the history (and, for Fail, the definition) says."""
    if step.state_type == "Fail":
        error = items.specs.get(step.name, {}).get("Error")
        return error if isinstance(error, str) and not error.startswith("{%") else None
    tries = tries_of(step, items)
    return tries[-1].error if tries and tries[-1].failed else None
