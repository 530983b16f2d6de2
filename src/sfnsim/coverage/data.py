"""Coverage gathered over many executions, per state machine, and the figures reported from it.

A machine is keyed by its source file and its name (the machine's name inside a template that holds
several; the file name otherwise), so the runs of one workflow add up however many tests load it.
The gathered data is plain JSON (``to_data``/``from_data``), which is how pytest-xdist workers hand
theirs to the controller, and adding two together (``merge``) is how the controller sums them.

The total is (covered states + covered branches) / (all states + all branches), as a percentage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sfnsim.coverage.collect import Hits, execution_hits, history_hits
from sfnsim.coverage.items import MachineItems, machine_items

DATA_VERSION = 1
PRECISION = 2  # decimals of a percentage, in reports and when compared with a threshold


@dataclass
class MachineCoverage:
    source: str
    name: str
    definition: dict[str, Any]
    hits: Hits = field(default_factory=Hits)
    executions: int = 0

    @cached_property
    def items(self) -> MachineItems:
        return machine_items(self.definition)

    def add_history(self, events: list[dict[str, Any]], matched_choice_rules: dict[int, int | None] | None = None) -> Hits:
        """Count one execution's history; returns what it alone exercised."""
        hits = history_hits(self.items, events, matched_choice_rules)
        self._count(hits)
        return hits

    def add_execution(self, execution: Any) -> Hits:
        """Count one sfnsim execution (its Distributed Map children included; the executions it
        started with ``states:startExecution`` run other machines: count them there)."""
        hits = execution_hits(self.items, execution)
        self._count(hits)
        return hits

    def _count(self, hits: Hits) -> None:
        self.hits.update(hits)
        self.executions += 1

    # -- figures --------------------------------------------------------------------------------
    @property
    def covered_states(self) -> list[str]:
        return [name for name in self.items.states if self.hits.states[name] > 0]

    @property
    def missing_states(self) -> list[str]:
        return [name for name in self.items.states if self.hits.states[name] == 0]

    @property
    def missing_branches(self) -> list[str]:
        return [b.label for b in self.items.branches if self.hits.branches[b.id] == 0]

    @property
    def covered(self) -> int:
        return len(self.covered_states) + self.covered_branch_count

    @property
    def covered_branch_count(self) -> int:
        return sum(1 for b in self.items.branches if self.hits.branches[b.id] > 0)

    @property
    def total(self) -> int:
        return len(self.items.states) + len(self.items.branches)

    @property
    def percent(self) -> float:
        return percentage(self.covered, self.total)

    def summary(self) -> dict[str, Any]:
        """This machine's entry in the JSON report."""
        items = self.items
        return {
            "source": self.source,
            "name": self.name,
            "executions": self.executions,
            "states": {"covered": len(self.covered_states), "total": len(items.states), "missing": self.missing_states},
            "branches": {"covered": self.covered_branch_count, "total": len(items.branches),
                         "missing": self.missing_branches},
            "percent": self.percent,
            "visits": {name: self.hits.states[name] for name in items.states},
            "branch_hits": {b.label: self.hits.branches[b.id] for b in items.branches},
            "undetermined": dict(sorted(self.hits.undetermined.items())),
            "unknown_states": sorted(self.hits.unknown_states),
        }


def percentage(covered: int, total: int) -> float:
    """Covered over total as a percentage; nothing to cover counts as fully covered."""
    return round(100.0 * covered / total, PRECISION) if total else 100.0


class CoverageData:
    """The machines seen and what their executions exercised."""

    def __init__(self) -> None:
        self.machines: dict[tuple[str, str], MachineCoverage] = {}

    def machine(self, source: str, name: str, definition: dict[str, Any]) -> MachineCoverage:
        """The entry for this machine, made on first sight (a machine loaded but never run counts, at 0%)."""
        key = (source, name)
        entry = self.machines.get(key)
        if entry is None:
            entry = self.machines[key] = MachineCoverage(source, name, definition)
        return entry

    def sorted_machines(self) -> list[MachineCoverage]:
        return [self.machines[key] for key in sorted(self.machines)]

    # -- figures --------------------------------------------------------------------------------
    def totals(self) -> dict[str, Any]:
        machines = self.machines.values()
        states = sum(len(m.covered_states) for m in machines), sum(len(m.items.states) for m in machines)
        branches = sum(m.covered_branch_count for m in machines), sum(len(m.items.branches) for m in machines)
        return {
            "states": {"covered": states[0], "total": states[1]},
            "branches": {"covered": branches[0], "total": branches[1]},
            "covered": states[0] + branches[0],
            "total": states[1] + branches[1],
        }

    @property
    def percent(self) -> float:
        totals = self.totals()
        return percentage(totals["covered"], totals["total"])

    def report(self) -> dict[str, Any]:
        """The JSON report: ``{"machines": [...], "totals": {...}, "percent": float}``."""
        return {
            "machines": [m.summary() for m in self.sorted_machines()],
            "totals": self.totals(),
            "percent": self.percent,
        }

    # -- moving between processes ---------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """Plain JSON: what a pytest-xdist worker sends to the controller."""
        return {
            "version": DATA_VERSION,
            "machines": [
                {"source": m.source, "name": m.name, "definition": m.definition, "executions": m.executions,
                 "states": dict(m.hits.states), "branches": dict(m.hits.branches),
                 "undetermined": dict(m.hits.undetermined), "unknown_states": sorted(m.hits.unknown_states)}
                for m in self.machines.values()
            ],
        }

    def merge_data(self, data: dict[str, Any]) -> None:
        """Add what ``to_data`` wrote (in another process) to this."""
        if data.get("version") != DATA_VERSION:
            raise ValueError(f"coverage data version {data.get('version')!r}, expected {DATA_VERSION}")
        for entry in data["machines"]:
            machine = self.machine(entry["source"], entry["name"], entry["definition"])
            hits = Hits(Counter(entry["states"]), Counter(entry["branches"]), Counter(entry["undetermined"]),
                        set(entry["unknown_states"]))
            machine.hits.update(hits)
            machine.executions += entry["executions"]
