"""What a definition offers to cover: its states and its branches.

**States** are every state, the ones inside Parallel branches and Map item processors included.
The States Language makes state names unique across the whole machine, so a name identifies a state.
**Branches** are the ways a state can go that a test may or may not have taken: each Choice rule
(by its position and Next), each Choice Default, each Catcher and each Retrier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfnsim.walk.machine import index_states, state_type

BRANCH_KINDS = ("choice", "default", "catch", "retry")


@dataclass(frozen=True)
class Branch:
    """One branch. ``id`` is stable across runs and processes (``Size/Choices/1``, ``Load/Retry/0``)."""

    id: str
    state: str
    kind: str  # one of BRANCH_KINDS
    index: int | None  # position in Choices / Catch / Retry (None for Default)
    target: str | None  # the Next it leads to (None for a Retrier: it goes back into the state)
    label: str  # what a person reads: "Size → Mid (Choices[1])"

    @property
    def field(self) -> tuple[str, ...] | tuple[str, int]:
        """Where it is written inside its state: ("Choices", 1), ("Default",), ("Catch", 0)..."""
        name = {"choice": "Choices", "default": "Default", "catch": "Catch", "retry": "Retry"}[self.kind]
        return (name,) if self.index is None else (name, self.index)


@dataclass
class MachineItems:
    states: dict[str, str]  # state name -> type, in definition order (a container before its inner states)
    branches: tuple[Branch, ...]
    specs: dict[str, dict[str, Any]]  # state name -> its definition
    query_language: str = "JSONPath"  # the machine's; a state may set its own

    def __post_init__(self) -> None:
        self.by_id = {branch.id: branch for branch in self.branches}

    def query_language_of(self, state: str) -> str:
        own = self.specs[state].get("QueryLanguage")
        return own if isinstance(own, str) else self.query_language

    def branches_of(self, state: str, kind: str) -> list[Branch]:
        return [b for b in self.branches if b.state == state and b.kind == kind]


def machine_items(definition: dict[str, Any]) -> MachineItems:
    """The states and branches of a (valid) definition."""
    places = index_states(definition)
    states = {name: state_type(place.spec) for name, place in places.items()}
    specs = {name: place.spec for name, place in places.items()}
    branches: list[Branch] = []
    for name, spec in specs.items():
        branches.extend(state_branches(name, spec))
    language = definition.get("QueryLanguage")
    return MachineItems(states, tuple(branches), specs, language if isinstance(language, str) else "JSONPath")


def state_branches(name: str, spec: dict[str, Any]) -> list[Branch]:
    out: list[Branch] = []
    for index, rule in _dicts(spec.get("Choices")):
        target = rule.get("Next")
        out.append(Branch(f"{name}/Choices/{index}", name, "choice", index, target,
                          f"{name} → {target} (Choices[{index}])"))
    if isinstance(spec.get("Default"), str):
        out.append(Branch(f"{name}/Default", name, "default", None, spec["Default"],
                          f"{name} → {spec['Default']} (Default)"))
    for index, catcher in _dicts(spec.get("Catch")):
        target = catcher.get("Next")
        out.append(Branch(f"{name}/Catch/{index}", name, "catch", index, target,
                          f"{name} → {target} (Catch[{index}]: {_errors(catcher)})"))
    for index, retrier in _dicts(spec.get("Retry")):
        out.append(Branch(f"{name}/Retry/{index}", name, "retry", index, None,
                          f"{name} ↻ retried (Retry[{index}]: {_errors(retrier)})"))
    return out


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """(position, item) for the objects of a list field, positions as written."""
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _errors(spec: dict[str, Any]) -> str:
    names = spec.get("ErrorEquals")
    return ", ".join(str(n) for n in names) if isinstance(names, list) else "?"
