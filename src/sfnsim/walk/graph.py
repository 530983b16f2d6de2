"""A state machine drawn as inline SVG, with the path a run took highlighted.

A simple layered layout, computed here so the report needs no script or network: states are put
in layers by their longest distance from ``StartAt`` (edges that go back up, such as retry loops
written with Choice, are drawn round the right-hand side), ordered within a layer by where their
predecessors sit, and centred. A Map or Parallel state is a box holding its branches' own layouts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from sfnsim.walk.machine import Scope, read_scope, state_type, transitions

NODE_HEIGHT = 44
MIN_WIDTH, MAX_WIDTH = 110, 260
CHAR_WIDTH = 8.4  # a generous average for bold 13px sans-serif, so names fit their boxes
LAYER_GAP = 38
NODE_GAP = 22
SCOPE_PAD = 16  # room above a scope for its start marker, and around its content
HEADER = 30  # a container's title bar
BRANCH_GAP = 16
MAX_NAME = 30
_TERMINAL = ("Succeed", "Fail")


@dataclass
class Run:
    """What a run did, as the graph shows it."""

    visits: dict[str, int] = field(default_factory=dict)  # state name -> times entered
    taken: set[tuple[str, str]] = field(default_factory=set)  # (from, to) transitions followed
    failed: set[str] = field(default_factory=set)  # states that failed with nothing catching the error
    caught: set[str] = field(default_factory=set)  # states whose error a Catch took
    anchors: dict[str, str] = field(default_factory=dict)  # state name -> link target of its first visit


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # next | choice | default | catch
    back: bool = False
    # A forward edge that would cross a box between its ends runs down a lane on the left instead:
    # its corner points, relative to the scope's origin until drawn.
    detour: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Box:
    kind: str  # "state" | "scope"
    name: str = ""
    state_type: str = ""
    width: float = 0.0
    height: float = 0.0
    x: float = 0.0  # relative to the enclosing box until ``_place`` makes it absolute
    y: float = 0.0
    children: list["Box"] = field(default_factory=list)  # scope: its states; container: its scopes
    edges: list[Edge] = field(default_factory=list)  # scope only
    terminal: bool = False
    start: str | None = None  # scope only
    lanes: int = 0  # scope only: how many back edges run down its right side


def render_svg(definition: dict[str, Any], run: Run | None = None) -> str:
    run = run or Run()
    root = _layout_scope(read_scope(definition))
    _place(root, 0.0, 0.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{root.width:.0f}" '
        f'height="{root.height:.0f}" viewBox="0 0 {root.width:.0f} {root.height:.0f}" role="img" '
        f'aria-label="state machine graph">',
        _DEFS,
    ]
    _draw_scope(root, run, parts)
    parts.append("</svg>")
    return "\n".join(parts)


# -- layout ----------------------------------------------------------------------------------------------
def _layout_scope(scope: Scope) -> Box:
    names = _reading_order(scope)
    edges = [Edge(name, target, kind) for name in names
             for target, kind in transitions(scope.states[name]) if target in scope.states]
    _mark_back_edges(names, edges, scope.start_at)
    layers = _layers(names, edges)
    boxes = {name: _layout_state(name, scope.states[name], scope) for name in names}
    rows = _order_rows(names, edges, layers)
    box = Box("scope", children=[boxes[n] for n in names], edges=edges, start=scope.start_at)
    box.lanes = sum(1 for e in edges if e.back or layers[e.target] <= layers[e.source])
    row_widths = [sum(boxes[n].width for n in row) + NODE_GAP * (len(row) - 1) for row in rows]
    content_width = max(row_widths, default=MIN_WIDTH)
    y = SCOPE_PAD * 2  # the start marker sits in the top padding
    row_bottom: dict[str, float] = {}
    for row, row_width in zip(rows, row_widths, strict=True):
        x = SCOPE_PAD + (content_width - row_width) / 2
        row_height = max(boxes[n].height for n in row)
        for name in row:
            boxes[name].x, boxes[name].y = x, y + (row_height - boxes[name].height) / 2
            row_bottom[name] = y + row_height
            x += boxes[name].width + NODE_GAP
        y += row_height + LAYER_GAP
    side_lanes = _route_detours(edges, boxes, rows, row_bottom, content_width)
    box.width = content_width + SCOPE_PAD * 2 + box.lanes * 10 + side_lanes * 10
    box.height = y - LAYER_GAP + SCOPE_PAD * 2
    return box


def _route_detours(edges: list[Edge], boxes: dict[str, Box], rows: list[list[str]],
                   row_bottom: dict[str, float], content_width: float) -> int:
    """Forward edges that skip a row and would cross a box in it run down a lane at the side nearer
    to them instead (their horizontal runs lie in the free gaps between rows). The scope's content
    moves right to make room for left lanes; returns how many lanes were added on both sides."""
    row_of = {name: index for index, row in enumerate(rows) for name in row}
    blocked = [e for e in edges if not _drawn_as_loop(e, boxes) and _crosses_a_box(e, boxes, rows, row_of)]
    middle = SCOPE_PAD + content_width / 2
    left = [e for e in blocked if boxes[e.source].x + boxes[e.source].width / 2 <= middle]
    right = [e for e in blocked if e not in left]
    shift = len(left) * 10
    for state in boxes.values():
        state.x += shift
    content_right = SCOPE_PAD + shift + content_width
    lanes = [(edge, SCOPE_PAD / 2 + i * 10, -1) for i, edge in enumerate(left)]
    lanes += [(edge, content_right + 5 + i * 10, 1) for i, edge in enumerate(right)]
    for edge, lane_x, side in lanes:
        source, target = boxes[edge.source], boxes[edge.target]
        leave_y = row_bottom[edge.source] + LAYER_GAP / 2
        arrive_y = target.y - LAYER_GAP / 2
        # Leave and arrive off-centre, on the lane's side, so as not to run along the centred edges.
        sx = source.x + source.width / 2 + side * source.width / 4
        tx = target.x + target.width / 2 + side * target.width / 4
        edge.detour = [(sx, source.y + source.height), (sx, leave_y), (lane_x, leave_y), (lane_x, arrive_y),
                       (tx, arrive_y), (tx, target.y - 1)]
    return len(blocked)


def _drawn_as_loop(edge: Edge, boxes: dict[str, Box]) -> bool:
    source, target = boxes[edge.source], boxes[edge.target]
    return edge.back or target.y < source.y + source.height


def _crosses_a_box(edge: Edge, boxes: dict[str, Box], rows: list[list[str]], row_of: dict[str, int]) -> bool:
    """Whether a box in a row between the edge's ends stands in the band the edge's curve sweeps."""
    source, target = boxes[edge.source], boxes[edge.target]
    sx, tx = source.x + source.width / 2, target.x + target.width / 2
    left, right = min(sx, tx) - 8, max(sx, tx) + 8
    between = (name for row in rows[row_of[edge.source] + 1:row_of[edge.target]] for name in row)
    return any(boxes[name].x < right and boxes[name].x + boxes[name].width > left for name in between)


def _layout_state(name: str, spec: dict[str, Any], scope: Scope) -> Box:
    kind = state_type(spec)
    terminal = kind in _TERMINAL or spec.get("End") is True
    inner = scope.inner.get(name)
    # Room on both sides of the name for the "×N" visit count in the top-right corner.
    label_width = min(max(len(_short(name)) * CHAR_WIDTH + 44, MIN_WIDTH), MAX_WIDTH)
    if not inner:
        return Box("state", name, kind, label_width, NODE_HEIGHT, terminal=terminal)
    # A container's title bar holds its name and its type side by side.
    label_width = (len(_short(name)) + len(kind) + 1) * CHAR_WIDTH + 44
    scopes = [_layout_scope(s) for s in inner]
    content = sum(s.width for s in scopes) + BRANCH_GAP * (len(scopes) - 1)
    width = max(content + SCOPE_PAD, label_width)
    x = (width - content) / 2
    for child in scopes:
        child.x, child.y = x, HEADER
        x += child.width + BRANCH_GAP
    height = HEADER + max(s.height for s in scopes) + SCOPE_PAD / 2
    return Box("state", name, kind, width, height, children=scopes, terminal=terminal)


def _reading_order(scope: Scope) -> list[str]:
    """Breadth-first from StartAt, then any state nothing reaches, in definition order."""
    order: list[str] = []
    queue = [scope.start_at] if scope.start_at in scope.states else []
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        queue.extend(t for t, _ in transitions(scope.states[name]) if t in scope.states and t not in order)
    return order + [n for n in scope.states if n not in order]


def _mark_back_edges(names: list[str], edges: list[Edge], start: str | None) -> None:
    """Edges that close a cycle (found by depth-first search from StartAt) are drawn going back up."""
    out: dict[str, list[Edge]] = {n: [] for n in names}
    for edge in edges:
        out[edge.source].append(edge)
    status: dict[str, int] = {}  # 1: on the search path, 2: finished
    roots = ([start] if start in out else []) + names
    for root in roots:
        if root in status:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        status[root] = 1
        while stack:
            node, position = stack[-1]
            if position == len(out[node]):
                status[node] = 2
                stack.pop()
                continue
            stack[-1] = (node, position + 1)
            edge = out[node][position]
            seen = status.get(edge.target)
            if seen == 1:
                edge.back = True
            elif seen is None:
                status[edge.target] = 1
                stack.append((edge.target, 0))


def _layers(names: list[str], edges: list[Edge]) -> dict[str, int]:
    """Longest-path layering over the forward edges."""
    forward = [e for e in edges if not e.back and e.source != e.target]
    incoming = {n: 0 for n in names}
    for edge in forward:
        incoming[edge.target] += 1
    layer = {n: 0 for n in names}
    ready = [n for n in names if incoming[n] == 0]
    while ready:
        node = ready.pop(0)
        for edge in (e for e in forward if e.source == node):
            layer[edge.target] = max(layer[edge.target], layer[node] + 1)
            incoming[edge.target] -= 1
            if incoming[edge.target] == 0:
                ready.append(edge.target)
    return layer


def _order_rows(names: list[str], edges: list[Edge], layers: dict[str, int]) -> list[list[str]]:
    """Rows in reading order, then each row sorted by where its predecessors sit (two sweeps)."""
    rows: list[list[str]] = [[] for _ in range(max(layers.values(), default=-1) + 1)]
    for name in names:
        rows[layers[name]].append(name)
    for _ in range(2):
        for depth in range(1, len(rows)):
            above = {n: i for i, n in enumerate(rows[depth - 1])}
            keys = {}
            for position, name in enumerate(rows[depth]):
                preds = [above[e.source] for e in edges if e.target == name and e.source in above]
                keys[name] = sum(preds) / len(preds) if preds else position
            rows[depth].sort(key=keys.__getitem__)
    return rows


def _place(box: Box, x: float, y: float) -> None:
    """Relative positions to absolute ones."""
    box.x, box.y = box.x + x, box.y + y
    for child in box.children:
        _place(child, box.x, box.y)


# -- drawing ---------------------------------------------------------------------------------------------
_MARKER = ('<marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
           'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{fill}"/>'
           "</marker>")
_DEFS = ("<defs>" + _MARKER.format(id="arrow", fill="#8c959f") + _MARKER.format(id="arrow-taken", fill="#1f6feb")
         + "</defs>")


def _draw_scope(scope: Box, run: Run, parts: list[str]) -> None:
    boxes = {b.name: b for b in scope.children}
    start = boxes.get(scope.start or "")
    if start is not None:
        entered = scope.start in run.visits
        cx, top = start.x + start.width / 2, start.y
        parts.append(f'<circle class="start{" taken" if entered else ""}" cx="{cx:.1f}" cy="{top - 20:.1f}" r="5"/>')
        parts.append(_line(cx, top - 15, cx, top - 1, entered))
    right = scope.x + scope.width - scope.lanes * 10 - SCOPE_PAD  # back edges run down this side
    lane = 0
    for edge in scope.edges:
        source, target = boxes[edge.source], boxes[edge.target]
        taken = (edge.source, edge.target) in run.taken
        if edge.back or target.y < source.y + source.height:
            lane += 1
            parts.append(_loop(source, target, right + lane * 10, edge.kind, taken))
        elif edge.detour:
            points = [(scope.x + x, scope.y + y) for x, y in edge.detour]
            parts.append(_path("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points), edge.kind, taken))
        else:
            parts.append(_curve(source, target, edge.kind, taken))
    for box in scope.children:
        _draw_state(box, run, parts)


def _draw_state(box: Box, run: Run, parts: list[str]) -> None:
    classes = ["node", box.state_type.lower()]
    visits = run.visits.get(box.name, 0)
    if visits:
        classes.append("visited")
    if box.name in run.failed:
        classes.append("failed")
    if box.name in run.caught:
        classes.append("caught")
    anchor = run.anchors.get(box.name)
    if anchor:
        parts.append(f'<a href="#{html.escape(anchor)}">')
    parts.append(f'<g class="{" ".join(classes)}"><title>{html.escape(box.name)} ({html.escape(box.state_type)})'
                 f'{f" — entered {visits}×" if visits else " — not entered"}</title>')
    parts.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="8"/>')
    cx = box.x + box.width / 2
    if box.children:
        parts.append(f'<text class="name" x="{box.x + 10:.1f}" y="{box.y + 19:.1f}">{html.escape(_short(box.name))}'
                     f'<tspan class="type"> {html.escape(box.state_type)}</tspan></text>')
    else:
        parts.append(f'<text class="name" x="{cx:.1f}" y="{box.y + 19:.1f}" text-anchor="middle">'
                     f'{html.escape(_short(box.name))}</text>')
        parts.append(f'<text class="type" x="{cx:.1f}" y="{box.y + 34:.1f}" text-anchor="middle">'
                     f'{html.escape(box.state_type)}</text>')
    if visits > 1:
        parts.append(f'<text class="count" x="{box.x + box.width - 6:.1f}" y="{box.y + 13:.1f}" '
                     f'text-anchor="end">×{visits}</text>')
    parts.append("</g>")
    if anchor:
        parts.append("</a>")
    for scope in box.children:
        parts.append(f'<rect class="branch" x="{scope.x:.1f}" y="{scope.y:.1f}" width="{scope.width:.1f}" '
                     f'height="{scope.height:.1f}" rx="6"/>')
        _draw_scope(scope, run, parts)
    if box.terminal:
        end_y = box.y + box.height + 14
        parts.append(_line(cx, box.y + box.height, cx, end_y - 6, bool(visits) and box.name not in run.failed))
        parts.append(f'<circle class="end" cx="{cx:.1f}" cy="{end_y:.1f}" r="5"/>')


def _line(x1: float, y1: float, x2: float, y2: float, taken: bool) -> str:
    return (f'<line class="edge{" taken" if taken else ""}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
            f'y2="{y2:.1f}" marker-end="url(#{"arrow-taken" if taken else "arrow"})"/>')


def _curve(source: Box, target: Box, kind: str, taken: bool) -> str:
    sx, sy = source.x + source.width / 2, source.y + source.height
    tx, ty = target.x + target.width / 2, target.y
    bend = max((ty - sy) / 2, 12)
    path = f"M{sx:.1f},{sy:.1f} C{sx:.1f},{sy + bend:.1f} {tx:.1f},{ty - bend:.1f} {tx:.1f},{ty - 1:.1f}"
    return _path(path, kind, taken)


def _loop(source: Box, target: Box, x: float, kind: str, taken: bool) -> str:
    sy = source.y + source.height / 2
    ty = target.y + target.height / 2
    path = (f"M{source.x + source.width:.1f},{sy:.1f} H{x:.1f} V{ty:.1f} "
            f"H{target.x + target.width + 1:.1f}")
    return _path(path, kind, taken)


def _path(d: str, kind: str, taken: bool) -> str:
    return (f'<path class="edge {kind}{" taken" if taken else ""}" d="{d}" '
            f'marker-end="url(#{"arrow-taken" if taken else "arrow"})"><title>{kind}</title></path>')


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


GRAPH_CSS = """
svg.graph { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 13px; }
svg.graph .node rect { fill: #ffffff; stroke: #afb8c1; stroke-width: 1.2; }
svg.graph .node.visited rect { fill: #dbeafe; stroke: #1f6feb; stroke-width: 2.2; }
svg.graph .node.caught rect { fill: #fff1d6; stroke: #bf8700; }
svg.graph .node.failed rect { fill: #ffe1e1; stroke: #cf222e; stroke-width: 2.4; }
svg.graph .node.map > rect, svg.graph .node.parallel > rect { fill-opacity: 0.35; }
svg.graph .branch { fill: none; stroke: #d0d7de; stroke-dasharray: 4 3; }
svg.graph .name { fill: #1f2328; font-weight: 600; }
svg.graph .type { fill: #57606a; font-size: 11px; font-weight: 400; }
svg.graph .count { fill: #1f6feb; font-size: 11px; font-weight: 700; }
svg.graph .edge { fill: none; stroke: #8c959f; stroke-width: 1.3; }
svg.graph .edge.catch { stroke-dasharray: 5 3; }
svg.graph .edge.default { stroke-dasharray: 2 3; }
svg.graph .edge.taken { stroke: #1f6feb; stroke-width: 2.6; }
svg.graph circle.start { fill: #57606a; }
svg.graph circle.start.taken { fill: #1f6feb; }
svg.graph circle.end { fill: #ffffff; stroke: #57606a; stroke-width: 2; }
"""
