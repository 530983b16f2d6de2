"""A state machine as a diagram: Mermaid (``flowchart``) or Graphviz DOT.

The definition becomes a small format-neutral graph first (nodes, edges, nested clusters), and
each format is one emitter over it. A Parallel or Map state is a cluster holding the state itself
and what it runs (one sub-cluster per Parallel branch; the Map's item processor). Given the
history of a run, the states entered and the transitions taken are highlighted, and the state the
execution failed in is marked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

# Choice operators as the short forms people read (the value follows; *Path forms compare to a path).
_COMPARISON_SYMBOLS = {
    "Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=", "GreaterThanEquals": ">=",
}
_TYPE_TESTS = {
    "IsPresent": ("is present", "is absent"), "IsNull": ("is null", "is not null"),
    "IsBoolean": ("is boolean", "is not boolean"), "IsNumeric": ("is numeric", "is not numeric"),
    "IsString": ("is string", "is not string"), "IsTimestamp": ("is timestamp", "is not timestamp"),
}
_LABEL_LIMIT = 40
EDGE_KINDS = ("start", "next", "choice", "default", "catch", "branch", "end")


@dataclass
class Node:
    id: str
    name: str
    state_type: str  # a state type, or "Start"/"End"
    detail: str = ""  # e.g. the Task's resource in short form


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # one of EDGE_KINDS
    label: str = ""


@dataclass
class Cluster:
    id: str
    label: str
    nodes: list[str] = field(default_factory=list)
    clusters: list["Cluster"] = field(default_factory=list)


@dataclass
class Graph:
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    root: Cluster = field(default_factory=lambda: Cluster("root", ""))
    by_name: dict[str, list[str]] = field(default_factory=dict)  # state name -> node ids
    visited: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    taken: set[int] = field(default_factory=set)  # indexes into edges

    @property
    def highlighted(self) -> bool:
        return bool(self.visited)


# ---------------------------------------------------------------------------------------------
# Building


def build_graph(definition: dict[str, Any], title: str = "StateMachine") -> Graph:
    """The graph of a (valid) definition."""
    builder = _Builder(Graph(title))
    graph = builder.graph
    start = builder.node(graph.root, "Start", "Start")
    end = builder.node(graph.root, "End", "End")
    entry = builder.scope(definition, graph.root, end)
    if entry is not None:
        graph.edges.insert(0, Edge(start, entry, "start"))
    return graph


class _Builder:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.count = 0

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def node(self, cluster: Cluster, name: str, state_type: str, detail: str = "") -> str:
        node_id = self._id("n")
        self.graph.nodes[node_id] = Node(node_id, name, state_type, detail)
        cluster.nodes.append(node_id)
        if state_type not in ("Start", "End"):
            self.graph.by_name.setdefault(name, []).append(node_id)
        return node_id

    def scope(self, spec: dict[str, Any], cluster: Cluster, end: str | None) -> str | None:
        """Add the states of a machine, branch or item processor; returns the StartAt node."""
        states = spec.get("States") if isinstance(spec.get("States"), dict) else {}
        ids: dict[str, str] = {}
        for name, state in states.items():
            ids[name] = self._state(name, state if isinstance(state, dict) else {}, cluster)
        for name, state in states.items():
            if isinstance(state, dict):
                self._transitions(ids[name], state, ids, end)
        return ids.get(spec.get("StartAt"))

    def _state(self, name: str, state: dict[str, Any], cluster: Cluster) -> str:
        state_type = str(state.get("Type", "?"))
        if state_type not in ("Parallel", "Map"):
            return self.node(cluster, name, state_type, _detail(state))
        inner = Cluster(self._id("c"), f"{name} ({state_type})")
        cluster.clusters.append(inner)
        head = self.node(inner, name, state_type, _detail(state))
        if state_type == "Parallel":
            for number, branch in enumerate(state.get("Branches") or [], 1):
                branch_cluster = Cluster(self._id("c"), f"branch {number}")
                inner.clusters.append(branch_cluster)
                self._link_branch(head, branch, branch_cluster)
        else:
            processor = state.get("ItemProcessor") or state.get("Iterator")
            self._link_branch(head, processor, inner)
        return head

    def _link_branch(self, head: str, spec: Any, cluster: Cluster) -> None:
        if isinstance(spec, dict):
            entry = self.scope(spec, cluster, None)
            if entry is not None:
                self.graph.edges.append(Edge(head, entry, "branch"))

    def _transitions(self, source: str, state: dict[str, Any], ids: dict[str, str], end: str | None) -> None:
        edges = self.graph.edges

        def to(target: Any, kind: str, label: str = "") -> None:
            if isinstance(target, str) and target in ids:
                edges.append(Edge(source, ids[target], kind, label))

        for rule in state.get("Choices") or []:
            if isinstance(rule, dict):
                to(rule.get("Next"), "choice", _shorten(describe_rule(rule)))
        if "Default" in state:
            to(state["Default"], "default", "Default")
        to(state.get("Next"), "next")
        for catcher in state.get("Catch") or []:
            if isinstance(catcher, dict):
                to(catcher.get("Next"), "catch", _shorten(", ".join(map(str, catcher.get("ErrorEquals") or []))))
        if end is not None and (state.get("End") is True or state.get("Type") in ("Succeed", "Fail")):
            edges.append(Edge(source, end, "end"))


def _detail(state: dict[str, Any]) -> str:
    """A Task's resource in short form (``lambda:invoke``, ``function:Name``, ``activity:Name``)."""
    resource = state.get("Resource")
    if state.get("Type") != "Task" or not isinstance(resource, str):
        return ""
    if resource.startswith("arn:") and ":::" in resource:
        return resource.split(":::", 1)[1]
    parts = resource.split(":")
    return ":".join(parts[5:7]) if len(parts) >= 7 else resource


def describe_rule(rule: dict[str, Any]) -> str:
    """A Choice rule in a few words: ``$.n > 3``, ``$.a is present and $.b == "x"``."""
    if "Condition" in rule:
        condition = rule["Condition"]
        text = condition.strip() if isinstance(condition, str) else json.dumps(condition)
        return text[2:-2].strip() if text.startswith("{%") and text.endswith("%}") else text
    for joiner in ("And", "Or"):
        if isinstance(rule.get(joiner), list):
            return f" {joiner.lower()} ".join(describe_rule(r) for r in rule[joiner] if isinstance(r, dict))
    if isinstance(rule.get("Not"), dict):
        return f"not ({describe_rule(rule['Not'])})"
    variable = rule.get("Variable", "?")
    for operator, value in rule.items():
        if operator in ("Variable", "Next", "Comment", "Assign", "Output"):
            continue
        return f"{variable} {_operator_text(operator, value)}"
    return str(variable)


def _operator_text(operator: str, value: Any) -> str:
    if operator in _TYPE_TESTS:
        yes, no = _TYPE_TESTS[operator]
        return yes if value is True else no
    is_path = operator.endswith("Path")
    base = operator[:-4] if is_path else operator
    shown = str(value) if is_path else json.dumps(value, ensure_ascii=False)
    if base == "StringMatches":
        return f"matches {shown}"
    for suffix, symbol in _COMPARISON_SYMBOLS.items():
        if base.endswith(suffix) and base[: -len(suffix)] in ("String", "Numeric", "Boolean", "Timestamp"):
            return f"{symbol} {shown}"
    return f"{operator} {shown}"


def _shorten(text: str, limit: int = _LABEL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Highlighting a run


def highlight(graph: Graph, tree: Any) -> Graph:
    """Mark the states a run entered, the transitions it took and where it failed.

    ``tree`` is a :class:`sfnsim.history.replay.StepTree` of the run's history.
    """
    if not tree.roots:
        return graph
    steps = list(tree.steps())
    for step in steps:
        graph.visited.update(graph.by_name.get(step.name, ()))
        if step.failed and not any(child.failed for child in step.children):
            graph.failed.update(graph.by_name.get(step.name, ()))
    moves = _moves(steps)
    first, last = tree.roots[0], tree.roots[-1]
    ended_here = tree.status == "SUCCEEDED" or last.state_type == "Fail"
    for index, edge in enumerate(graph.edges):
        source, target = graph.nodes[edge.source], graph.nodes[edge.target]
        if edge.kind == "start":
            taken = target.name == first.name
        elif edge.kind == "end":
            taken = source.name == last.name and ended_here
        else:
            taken = (source.name, target.name) in moves
        if taken:
            graph.taken.add(index)
    return graph


class HistoryMismatch(ValueError):
    """A history to highlight that enters states the definition does not have."""


def unknown_states(graph: Graph, tree: Any) -> list[str]:
    """The states a run's history entered that the graph's definition does not have, in order."""
    return list(dict.fromkeys(step.name for step in tree.steps() if step.name not in graph.by_name))


def _moves(steps: list[Any]) -> set[tuple[str, str]]:
    """(from, to) state names: each transition in a flow, and each Parallel/Map into its branches."""
    followed = {id(step.next) for step in steps if step.next is not None}
    moves = set()
    for step in steps:
        if step.next is not None:
            moves.add((step.name, step.next.name))
        if step.parent is not None and id(step) not in followed:  # the first state of a branch/iteration
            moves.add((step.parent.name, step.name))
    return moves


# ---------------------------------------------------------------------------------------------
# Mermaid

_MERMAID_SHAPES: dict[str, tuple[str, str]] = {
    "Start": ("((", "))"), "End": ("(((", ")))"),
    "Task": ("[", "]"), "Pass": ("(", ")"), "Choice": ("{", "}"), "Wait": ("[/", "/]"),
    "Succeed": ("([", "])"), "Fail": ("([", "])"), "Parallel": ("[[", "]]"), "Map": ("[[", "]]"),
}
_MERMAID_ARROWS = {"catch": "-.->", "branch": "-.->"}
VISITED_COLOUR, FAILED_COLOUR = "#2e7d32", "#c62828"
VISITED_FILL, FAILED_FILL = "#e8f5e9", "#ffebee"


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart TD"]
    _mermaid_cluster(graph, graph.root, lines, "    ")
    for edge in graph.edges:
        arrow = _MERMAID_ARROWS.get(edge.kind, "-->")
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
    lines.append(f"    classDef failstate stroke:{FAILED_COLOUR}")
    fail_states = [n.id for n in graph.nodes.values() if n.state_type == "Fail"]
    if fail_states:
        lines.append(f"    class {','.join(fail_states)} failstate")
    if graph.highlighted:
        lines.append(f"    classDef visited fill:{VISITED_FILL},stroke:{VISITED_COLOUR},stroke-width:2px")
        lines.append(f"    classDef failed fill:{FAILED_FILL},stroke:{FAILED_COLOUR},stroke-width:3px")
        visited = [n for n in graph.nodes if n in graph.visited and n not in graph.failed]
        if visited:
            lines.append(f"    class {','.join(visited)} visited")
        if graph.failed:
            lines.append(f"    class {','.join(sorted(graph.failed))} failed")
        if graph.taken:
            indexes = ",".join(str(i) for i in sorted(graph.taken))
            lines.append(f"    linkStyle {indexes} stroke:{VISITED_COLOUR},stroke-width:3px")
    return "\n".join(lines) + "\n"


def _mermaid_cluster(graph: Graph, cluster: Cluster, lines: list[str], indent: str) -> None:
    for node_id in cluster.nodes:
        node = graph.nodes[node_id]
        opening, closing = _MERMAID_SHAPES.get(node.state_type, ("[", "]"))
        lines.append(f'{indent}{node_id}{opening}"{_mermaid_text(_node_label(node), multiline=True)}"{closing}')
    for inner in cluster.clusters:
        lines.append(f'{indent}subgraph {inner.id}["{_mermaid_text(inner.label)}"]')
        lines.append(f"{indent}    direction TB")
        _mermaid_cluster(graph, inner, lines, indent + "    ")
        lines.append(f"{indent}end")


def _node_label(node: Node) -> str:
    if node.state_type in ("Start", "End"):
        return node.name
    kind = node.state_type + (f": {node.detail}" if node.detail else "")
    return f"{node.name}\n{kind}"


def _mermaid_text(text: str, *, multiline: bool = False) -> str:
    # Mermaid reads entity codes (#quot; ...) in quoted labels; '#' itself must go first.
    escaped = text
    for raw, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        escaped = escaped.replace(raw, code)
    return escaped.replace("\n", "<br/>") if multiline else escaped.replace("\n", " ")


# ---------------------------------------------------------------------------------------------
# Graphviz DOT

# Node attributes per state type; "style" is a list, since DOT keeps only one style attribute.
_DOT_NODES: dict[str, dict[str, Any]] = {
    "Start": {"shape": "circle", "style": ["filled"], "fillcolor": "#eeeeee"},
    "End": {"shape": "doublecircle", "style": ["filled"], "fillcolor": "#eeeeee"},
    "Task": {"shape": "box"}, "Pass": {"shape": "box", "style": ["rounded"]}, "Choice": {"shape": "diamond"},
    "Wait": {"shape": "parallelogram"}, "Succeed": {"shape": "oval"},
    "Fail": {"shape": "oval", "color": FAILED_COLOUR},
    "Parallel": {"shape": "box3d"}, "Map": {"shape": "box3d"},
}
_DOT_EDGES: dict[str, dict[str, Any]] = {
    "catch": {"style": "dashed", "color": "#b26a00"}, "branch": {"style": "dashed"}, "default": {"style": "bold"},
}


def to_dot(graph: Graph) -> str:
    lines = [f"digraph {_dot_string(graph.title)} {{", "    rankdir=TB;",
             '    node [fontname="Helvetica", fontsize=11];', '    edge [fontname="Helvetica", fontsize=9];']
    _dot_cluster(graph, graph.root, lines, "    ")
    for index, edge in enumerate(graph.edges):
        attributes = dict(_DOT_EDGES.get(edge.kind, {}))
        if edge.label:
            attributes["label"] = edge.label
        if index in graph.taken:
            attributes.update(color=VISITED_COLOUR, penwidth="2.5")
        lines.append(f"    {edge.source} -> {edge.target}{_dot_attributes(attributes)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_cluster(graph: Graph, cluster: Cluster, lines: list[str], indent: str) -> None:
    for node_id in cluster.nodes:
        node = graph.nodes[node_id]
        attributes = {"label": _node_label(node), **_DOT_NODES.get(node.state_type, {"shape": "box"})}
        mark = (FAILED_FILL, FAILED_COLOUR, "2.5") if node_id in graph.failed else (
            (VISITED_FILL, VISITED_COLOUR, "2") if node_id in graph.visited else None)
        if mark is not None:
            attributes["style"] = [*attributes.get("style", []), "filled"]
            attributes.update(fillcolor=mark[0], color=mark[1], penwidth=mark[2])
        lines.append(f"{indent}{node_id}{_dot_attributes(attributes)};")
    for inner in cluster.clusters:
        lines.append(f"{indent}subgraph cluster_{inner.id} {{")
        lines.append(f'{indent}    label={_dot_string(inner.label)}; style="rounded,dashed";')
        _dot_cluster(graph, inner, lines, indent + "    ")
        lines.append(f"{indent}}}")


def _dot_attributes(attributes: dict[str, Any]) -> str:
    if not attributes:
        return ""
    parts = []
    for key, value in attributes.items():
        text = ",".join(dict.fromkeys(value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}={_dot_string(text)}")
    return f" [{', '.join(parts)}]"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ---------------------------------------------------------------------------------------------
# JSON


def to_json(graph: Graph) -> str:
    """The graph as JSON text: nodes (with the cluster path they sit in), edges, and what a run took."""
    nodes = []

    def visit(cluster: Cluster, path: list[str]) -> None:
        for node_id in cluster.nodes:
            node = graph.nodes[node_id]
            nodes.append({"id": node.id, "name": node.name, "type": node.state_type, "detail": node.detail,
                          "in": path, "visited": node.id in graph.visited, "failed": node.id in graph.failed})
        for child in cluster.clusters:
            visit(child, [*path, child.label])

    visit(graph.root, [])
    edges = [{"source": edge.source, "target": edge.target, "kind": edge.kind, "label": edge.label,
              "taken": index in graph.taken} for index, edge in enumerate(graph.edges)]
    return json.dumps({"title": graph.title, "nodes": nodes, "edges": edges}, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[Graph], str]] = {"mermaid": to_mermaid, "dot": to_dot, "json": to_json}


def render_graph(definition: dict[str, Any], fmt: str = "mermaid", *, title: str = "StateMachine",
                 tree: Any = None) -> str:
    """The diagram of ``definition`` in ``fmt`` ("mermaid" or "dot"), highlighting the run in ``tree``."""
    graph = build_graph(definition, title)
    if tree is not None:
        stray = unknown_states(graph, tree)
        if stray:
            raise HistoryMismatch(f"the history entered states this definition does not have ({', '.join(stray)}): "
                             "it was recorded from another state machine, or an older version of this one")
        highlight(graph, tree)
    return FORMATS[fmt](graph)


__all__ = ["FORMATS", "Graph", "HistoryMismatch", "build_graph", "describe_rule", "highlight", "render_graph", "to_dot", "to_json",
           "to_mermaid", "unknown_states"]
