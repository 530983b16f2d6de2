"""Where each state sits in a definition: its spec, and the Map or Parallel that contains it.

The States Language requires state names to be unique across the whole machine, nested branches
included, so a name is enough to find a state's place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

CONTAINERS = ("Map", "Parallel")


@dataclass(frozen=True)
class StatePlace:
    name: str
    spec: dict[str, Any]
    container: str | None  # the Map or Parallel state whose branch holds this state
    branch: int | None  # the Parallel branch index (None inside a Map and at the top level)
    depth: int


@dataclass
class Scope:
    """One ``{"StartAt", "States"}`` object: the top level, a Parallel branch or a Map's processor."""

    start_at: str | None
    states: dict[str, dict[str, Any]]
    owner: str | None = None  # the Map/Parallel state holding it
    inner: dict[str, list["Scope"]] = field(default_factory=dict)  # container name -> its scopes


def state_type(spec: dict[str, Any]) -> str:
    value = spec.get("Type")
    return value if isinstance(value, str) else "?"


def inner_definitions(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The nested ``{"StartAt", "States"}`` objects of a Map (one) or Parallel (one per branch)."""
    kind = state_type(spec)
    if kind == "Parallel":
        return [b for b in spec.get("Branches") or () if isinstance(b, dict)]
    if kind == "Map":
        processor = spec.get("ItemProcessor") or spec.get("Iterator")
        return [processor] if isinstance(processor, dict) else []
    return []


def read_scope(definition: dict[str, Any], owner: str | None = None) -> Scope:
    raw_states = definition.get("States")
    states = {k: v for k, v in raw_states.items() if isinstance(v, dict)} if isinstance(raw_states, dict) else {}
    start_at = definition.get("StartAt")
    scope = Scope(start_at if isinstance(start_at, str) else None, states, owner)
    for name, spec in states.items():
        nested = inner_definitions(spec)
        if nested:
            scope.inner[name] = [read_scope(d, name) for d in nested]
    return scope


def index_states(definition: dict[str, Any]) -> dict[str, StatePlace]:
    return {place.name: place for place in _places(read_scope(definition), None, None, 0)}


def _places(scope: Scope, container: str | None, branch: int | None, depth: int) -> Iterator[StatePlace]:
    for name, spec in scope.states.items():
        yield StatePlace(name, spec, container, branch, depth)
        inner = scope.inner.get(name, [])
        parallel = state_type(spec) == "Parallel"
        for position, child in enumerate(inner):
            yield from _places(child, name, position if parallel else None, depth + 1)


def transitions(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(target, kind)`` for every way out of a state: next, choice, default, catch."""
    out: list[tuple[str, str]] = []
    if isinstance(spec.get("Next"), str):
        out.append((spec["Next"], "next"))
    for rule in spec.get("Choices") or ():
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            out.append((rule["Next"], "choice"))
    if isinstance(spec.get("Default"), str):
        out.append((spec["Default"], "default"))
    for catcher in spec.get("Catch") or ():
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            out.append((catcher["Next"], "catch"))
    return out
