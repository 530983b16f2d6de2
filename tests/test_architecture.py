"""The layer order of docs/architecture.md, checked on the import graph of src/sfnsim.

Imports point down only: interfaces > engine > history, tasks > asl > dataflow > base (errors,
i18n). Every import counts, also one inside a function or under ``TYPE_CHECKING``: a type hint that
climbs a layer is a dependency that climbs it. A second check keeps modules from importing each
other at run time (an import cycle hides which one is the lower).
"""

from __future__ import annotations

import ast
from pathlib import Path

import sfnsim

SOURCE = Path(sfnsim.__file__).resolve().parent

# Lowest first; a module may import its own layer and the layers below it.
LAYERS = ("base", "dataflow", "asl", "history/tasks", "engine", "interfaces")
_LAYER_OF_PACKAGE = {
    "errors": "base", "i18n": "base",
    "dataflow": "dataflow",
    "asl": "asl",
    "history": "history/tasks", "tasks": "history/tasks", "mock": "history/tasks",
    "engine": "engine",
}

# Run-time import cycles that exist and are to be broken, not added to.
KNOWN_RUNTIME_CYCLES: set[frozenset[str]] = {
    frozenset({"sfnsim.tasks.aws_backend", "sfnsim.tasks.aws_calls"}),
}


def layer_of(module: str) -> str:
    return _LAYER_OF_PACKAGE.get(_package(module), "interfaces")


def _package(module: str) -> str:
    """``sfnsim.history.trace`` -> ``history``; ``sfnsim`` itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        name = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path], *, runtime_only: bool) -> set[str]:
    """The sfnsim modules ``path`` imports (``from sfnsim.x import y`` names module x.y if there is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                type_only.update(id(child) for child in ast.walk(node))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in modules else node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name in modules}


def _graph(*, runtime_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules, runtime_only=runtime_only) - {name} for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    assert set(LAYERS) >= {layer_of(name) for name in _modules()}


def test_no_import_climbs_a_layer() -> None:
    climbs = []
    for module, targets in _graph(runtime_only=False).items():
        here = LAYERS.index(layer_of(module))
        for target in sorted(targets):
            if LAYERS.index(layer_of(target)) > here:
                climbs.append(f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})")
    assert climbs == [], "imports must point down the layers of docs/architecture.md:\n" + "\n".join(climbs)


def test_the_layer_check_sees_a_climb() -> None:
    """The check above can fail: a module of the engine importing the API is a climb."""
    assert LAYERS.index(layer_of("sfnsim.api")) > LAYERS.index(layer_of("sfnsim.engine.compiler"))
    assert layer_of("sfnsim.history.trace") == layer_of("sfnsim.tasks.dispatch") == "history/tasks"
    assert LAYERS.index(layer_of("sfnsim.dataflow.choice")) < LAYERS.index(layer_of("sfnsim.asl.validation"))


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_new_runtime_import_cycles() -> None:
    cycles = set(_cycles(_graph(runtime_only=True)))
    new = [sorted(cycle) for cycle in cycles - KNOWN_RUNTIME_CYCLES]
    assert new == [], f"modules that import each other at run time: {new}"


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]


def test_every_state_type_of_the_language_has_an_executor() -> None:
    """One list of state types (the language's, asl.models.STATE_MODELS); the engine runs each."""
    from sfnsim.asl.models import STATE_MODELS
    from sfnsim.engine.compiler import EXECUTORS

    assert set(EXECUTORS) == set(STATE_MODELS)


def test_history_and_tasks_do_not_import_each_other() -> None:
    """They share a layer: the engine records events and asks for task results, each on its own."""
    crossing = [f"{module} imports {target}" for module, targets in _graph(runtime_only=False).items()
                for target in targets
                if {_package(module), _package(target)} == {"history", "tasks"}]
    assert crossing == []
