"""Coverage reports as text: a terminal table, Markdown for a CI summary, JSON, and Cobertura XML.

The HTML page is in ``coverage.html``. Every report is made from the same ``CoverageData``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sfnsim.coverage.data import CoverageData, MachineCoverage, percentage

REPORT_TYPES = ("term", "json", "html", "markdown", "xml")


def machine_title(machine: MachineCoverage) -> str:
    """``statemachine/etl.asl.json`` — with `` (Name)`` when the name is not just the file's."""
    stem = Path(machine.source).name.split(".", 1)[0]
    return machine.source if machine.name == stem else f"{machine.source} ({machine.name})"


def _fraction(covered: int, total: int) -> str:
    return f"{covered}/{total}"


# ---------------------------------------------------------------------------------------------
# Terminal


def render_term(data: CoverageData) -> str:
    """A table with a row per state machine, each followed by what it left uncovered."""
    rows = [("State machine", "States", "Branches", "Cover")]
    notes: list[list[str]] = []
    for machine in data.sorted_machines():
        summary = machine.summary()
        rows.append((machine_title(machine), _fraction(summary["states"]["covered"], summary["states"]["total"]),
                     _fraction(summary["branches"]["covered"], summary["branches"]["total"]),
                     f"{machine.percent:.2f}%"))
        notes.append(_missing_lines(summary))
    totals = data.totals()
    total_row = ("TOTAL", _fraction(totals["states"]["covered"], totals["states"]["total"]),
                 _fraction(totals["branches"]["covered"], totals["branches"]["total"]), f"{data.percent:.2f}%")
    widths = [max(len(row[i]) for row in [*rows, total_row]) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join([row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:]))])

    rule = "-" * len(line(rows[0]))
    out = [line(rows[0]), rule]
    for row, missing in zip(rows[1:], notes):
        out.append(line(row))
        out.extend(missing)
    out += [rule, line(total_row)]
    return "\n".join(out) + "\n"


def _missing_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    if summary["states"]["missing"]:
        lines.append("    missing states: " + ", ".join(summary["states"]["missing"]))
    for label in summary["branches"]["missing"]:
        lines.append(f"    missing branch: {label}")
    for reason, times in summary["undetermined"].items():
        lines.append(f"    undetermined ({times}×): {reason}")
    if summary["unknown_states"]:
        lines.append("    entered but not in the definition: " + ", ".join(summary["unknown_states"]))
    return lines


# ---------------------------------------------------------------------------------------------
# Markdown


def render_markdown(data: CoverageData, *, title: str = "Workflow coverage") -> str:
    """A table and, per machine, the uncovered items: for ``$GITHUB_STEP_SUMMARY`` or a PR comment."""
    totals = data.totals()
    out = [f"## {title}: {data.percent:.2f}%", "",
           "| State machine | States | Branches | Cover |", "|---|---:|---:|---:|"]
    for machine in data.sorted_machines():
        summary = machine.summary()
        out.append(f"| `{_md(machine_title(machine))}` | {_fraction(summary['states']['covered'], summary['states']['total'])}"
                   f" | {_fraction(summary['branches']['covered'], summary['branches']['total'])}"
                   f" | {machine.percent:.2f}% |")
    out.append(f"| **Total** | {_fraction(totals['states']['covered'], totals['states']['total'])}"
               f" | {_fraction(totals['branches']['covered'], totals['branches']['total'])} | **{data.percent:.2f}%** |")
    for machine in data.sorted_machines():
        summary = machine.summary()
        missing = [f"- state `{_md(name)}`" for name in summary["states"]["missing"]]
        missing += [f"- branch {_md(label)}" for label in summary["branches"]["missing"]]
        missing += [f"- undetermined ({times}×): {_md(reason)}" for reason, times in summary["undetermined"].items()]
        if missing:
            out += ["", f"### Not covered in `{_md(machine_title(machine))}`", "", *missing]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


# ---------------------------------------------------------------------------------------------
# JSON


def render_json(data: CoverageData) -> str:
    return json.dumps(data.report(), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Cobertura XML


def render_cobertura(data: CoverageData, base: Path | None = None) -> str:
    """Cobertura XML, the format CI coverage widgets read.

    Each state machine is a class whose file is its definition. Every state and every branch is a
    line: a state's hits are its visits, a branch's the times it was taken, and branch lines carry
    ``branch="true"``. So the line rate is the total coverage and the branch rate the branches'.
    Lines are numbered by where each item sits in the definition file, when it can be located and
    no two items share a line; otherwise 1, 2, 3... in definition order. Relative sources are
    read from ``base`` (default: the working directory).
    """
    totals = data.totals()
    root = ElementTree.Element("coverage", {
        "line-rate": _rate(totals["covered"], totals["total"]),
        "branch-rate": _rate(totals["branches"]["covered"], totals["branches"]["total"]),
        "lines-covered": str(totals["covered"]), "lines-valid": str(totals["total"]),
        "branches-covered": str(totals["branches"]["covered"]), "branches-valid": str(totals["branches"]["total"]),
        "complexity": "0", "version": f"sfnsim {_version()}", "timestamp": str(int(time.time() * 1000)),
    })
    ElementTree.SubElement(ElementTree.SubElement(root, "sources"), "source").text = "."
    package = ElementTree.SubElement(ElementTree.SubElement(root, "packages"), "package", {
        "name": "state-machines", "line-rate": root.get("line-rate", "1"), "branch-rate": root.get("branch-rate", "1"),
        "complexity": "0"})
    classes = ElementTree.SubElement(package, "classes")
    for machine in data.sorted_machines():
        _cobertura_class(classes, machine, base)
    ElementTree.indent(root)
    return '<?xml version="1.0" ?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _cobertura_class(classes: ElementTree.Element, machine: MachineCoverage, base: Path | None) -> None:
    items = machine.items
    branches_covered = machine.covered_branch_count
    element = ElementTree.SubElement(classes, "class", {
        "name": machine.name, "filename": machine.source,
        "line-rate": _rate(machine.covered, machine.total),
        "branch-rate": _rate(branches_covered, len(items.branches)), "complexity": "0"})
    ElementTree.SubElement(element, "methods")
    lines = ElementTree.SubElement(element, "lines")
    entries: list[tuple[tuple[str, tuple[Any, ...]], int, bool]] = [
        ((name, ()), machine.hits.states[name], False) for name in items.states]
    entries += [((branch.state, branch.field), machine.hits.branches[branch.id], True) for branch in items.branches]
    numbers = _line_numbers(machine, [place for place, _, _ in entries], base)
    for (_, hits, is_branch), number in sorted(zip(entries, numbers), key=lambda pair: pair[1]):
        attributes = {"number": str(number), "hits": str(hits)}
        if is_branch:
            attributes.update({"branch": "true", "condition-coverage": f"{100 if hits else 0}% ({1 if hits else 0}/1)"})
        ElementTree.SubElement(lines, "line", attributes)


def _line_numbers(machine: MachineCoverage, places: list[tuple[str, tuple[Any, ...]]], base: Path | None) -> list[int]:
    from sfnsim.coverage.locations import item_lines

    located = item_lines(machine.source, machine.name, machine.definition, places, base)
    if located is not None and None not in located and len(set(located)) == len(located):
        return [int(n) for n in located if n is not None]
    return list(range(1, len(places) + 1))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sfnsim")
    except PackageNotFoundError:
        return "unknown"


def _rate(covered: int, total: int) -> str:
    return f"{percentage(covered, total) / 100:.4f}"


RENDERERS = {"term": render_term, "json": render_json, "markdown": render_markdown, "xml": render_cobertura}
