"""Where a machine's states and branches sit in its definition file (for Cobertura's line numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sfnsim.asl.loading import join_pointer
from sfnsim.walk.machine import inner_definitions


def state_pointers(definition: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """State name -> JSON pointer of its definition, nested states included."""
    pointers: dict[str, str] = {}
    states = definition.get("States")
    if not isinstance(states, dict):
        return pointers
    for name, spec in states.items():
        pointer = join_pointer(prefix, "States", name)
        pointers[name] = pointer
        if not isinstance(spec, dict):
            continue
        if spec.get("Type") == "Parallel":
            for index, branch in enumerate(inner_definitions(spec)):
                pointers.update(state_pointers(branch, join_pointer(pointer, "Branches", index)))
        elif spec.get("Type") == "Map":
            field = "ItemProcessor" if isinstance(spec.get("ItemProcessor"), dict) else "Iterator"
            for processor in inner_definitions(spec):
                pointers.update(state_pointers(processor, join_pointer(pointer, field)))
    return pointers


def item_lines(source: str, name: str, definition: dict[str, Any], items: list[tuple[str, tuple[Any, ...]]],
               base: Path | None = None) -> list[int | None] | None:
    """The line of each item, given as (state name, path inside the state: () for the state itself,
    ("Choices", 1) for a rule...), or None when the definition file cannot be read again (an inline
    definition, a file since moved or changed)."""
    from sfnsim.asl import load_definition
    from sfnsim.errors import SfnSimError

    path = Path(source) if base is None else base / source
    if source.startswith("<") or not path.is_file():
        return None
    loaded = None
    for machine in (name, None):  # a template's machine is named by its logical id
        try:
            loaded = load_definition(path, state_machine=machine)
            break
        except SfnSimError:
            continue
    if loaded is None or loaded.locator is None or loaded.raw != definition:
        return None
    pointers = state_pointers(definition)
    lines: list[int | None] = []
    for state, inside in items:
        found = loaded.locator.nearest(join_pointer(pointers[state], *inside)) if state in pointers else None
        lines.append(found[0] if found else None)
    return lines
