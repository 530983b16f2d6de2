"""One self-contained HTML page of a run: the graph with the path taken, a timeline in virtual time,
and every state's data-flow stages, retries and errors.

No scripts, fonts or images are fetched: the styles are inline and the graph and timeline are inline
SVG, so the page can be opened from a file, mailed, or kept as a CI artifact. Every piece of text
that comes from a definition or a payload goes through ``html.escape``.
"""

from __future__ import annotations

import bisect
import math
from html import escape
from typing import TYPE_CHECKING

from sfnsim.i18n import _, current_language
from sfnsim.walk.details import MISSING
from sfnsim.walk.graph import GRAPH_CSS, Run, render_svg
from sfnsim.walk.story import (
    Heading,
    Item,
    Same,
    Text,
    Value,
    format_seconds,
    pretty,
    tell,
    tell_ending,
    tell_opening,
)
from sfnsim.walk.walkthrough import Block, Step, Walkthrough, build_walkthrough

if TYPE_CHECKING:
    from sfnsim.api import Execution

ROW_HEIGHT = 22
LABEL_WIDTH = 300
BARS_WIDTH = 760
_STATUS_CLASS = {"SUCCEEDED": "ok", "RUNNING": "running"}


def render_report(execution: "Execution", *, title: str | None = None) -> str:
    """The report of one execution. Run it with ``inspect=True`` to see every data-flow stage;
    without, the report shows what the history holds (each state's input and output)."""
    return render_walkthrough_html(build_walkthrough(execution), title=title)


def render_walkthrough_html(walkthrough: Walkthrough, *, title: str | None = None) -> str:
    heading = title or _("Run of {machine}").format(machine=walkthrough.machine_name)
    body = [f"<h1>{escape(heading)}</h1>", *_sections(walkthrough, top=True)]
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{current_language()}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(heading)}</title>",
        f"<style>{_CSS}{GRAPH_CSS}</style>",
        "</head><body>",
        *body,
        "<footer>" + escape(_("Made by sfnsim from a simulated run; times are virtual.")) + "</footer>",
        "</body></html>",
        "",
    ])


def _sections(walkthrough: Walkthrough, *, top: bool) -> list[str]:
    """Summary, graph, timeline and states of one execution, then of each child execution it started."""
    def opening(section: str, text: str) -> str:
        return (f'<section id="{section}">' if top else f'<section class="{section}">') + "<h2>" + escape(text) + "</h2>"

    sections = [
        _summary(walkthrough),
        opening("graph", _("The state machine and the path taken")),
        f'<div class="graph-box">{render_svg(walkthrough.definition, path_of(walkthrough))}</div>',
        _legend(),
        "</section>",
        opening("timeline", _("Timeline (virtual time)")),
        timeline_svg(walkthrough),
        "</section>",
        opening("states", _("State by state")),
        _items(tell_opening(walkthrough)),
        *(_block_html(block) for block in walkthrough.blocks()),
        '<div class="ending">', _items(tell_ending(walkthrough)), "</div>",
        "</section>",
    ]
    for child in walkthrough.children:
        started = _("Child execution started by {state}:").format(state=child.started_by)
        sections += ['<section class="child-execution">',
                     f"<h2>{escape(started)} {escape(child.machine_name)}</h2>",
                     *_sections(child, top=False), "</section>"]
    return sections


def path_of(walkthrough: Walkthrough) -> Run:
    """Which states were entered, how often, which transitions were followed, what failed."""
    run = Run()
    for step in walkthrough.all_steps():
        run.visits[step.name] = run.visits.get(step.name, 0) + 1
        run.anchors.setdefault(step.name, anchor(step))
        if step.next is not None:
            run.taken.add((step.name, step.next))
        if step.catch is not None:
            run.caught.add(step.name)
        elif step.error is not None:
            run.failed.add(step.name)
    return run


def anchor(step: Step) -> str:
    return f"step-{step.number}"


# -- summary --------------------------------------------------------------------------------------------
def _summary(walkthrough: Walkthrough) -> str:
    status = walkthrough.status
    rows = [
        (_("Status"), f'<span class="status {_STATUS_CLASS.get(status, "bad")}">{escape(status)}</span>'),
        (_("Started"), escape(walkthrough.started_at.isoformat())),
        (_("Virtual duration"), escape(_("still running")) if walkthrough.ended_offset is None
         else escape(format_seconds(walkthrough.ended_offset))),
        (_("States entered"), str(len(walkthrough.all_steps()))),
    ]
    if walkthrough.error is not None:
        rows.append((_("Error"), f"<code>{escape(walkthrough.error)}</code>"))
    if walkthrough.cause is not None:
        rows.append((_("Cause"), f"<pre>{escape(walkthrough.cause)}</pre>"))
    cells = "".join(f"<tr><th>{escape(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="summary">{cells}</table>'


def _legend() -> str:
    keys = [("visited", _("entered")), ("caught", _("error caught")), ("failed", _("failed")),
            ("plain", _("not entered."))]
    explained = _("Dashed arrows are Catch transitions, dotted ones a Choice's Default. "
                  "Click a state to jump to its first visit.")
    marks = " ".join(f'<span class="key {kind}"></span> {escape(label, quote=False)}' for kind, label in keys)
    return f'<p class="legend">{marks} {escape(explained, quote=False)}</p>'


# -- timeline -------------------------------------------------------------------------------------------
def timeline_svg(walkthrough: Walkthrough) -> str:
    steps = walkthrough.all_steps()
    ends = [s.exited_offset for s in steps if s.exited_offset is not None]
    total = max([walkthrough.ended_offset or 0.0, *ends, *(s.entered_offset for s in steps)], default=0.0)
    height = ROW_HEIGHT * (len(steps) + 1) + 8
    width = LABEL_WIDTH + BARS_WIDTH + 20
    axis = TimeAxis.for_run(steps, total)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="timeline">']
    for tick in axis.ticks():
        x = LABEL_WIDTH + axis.x(tick)
        # Labels centre on their tick; the first and last keep inside the drawing.
        anchor_at = "start" if x - LABEL_WIDTH < 20 else "end" if LABEL_WIDTH + BARS_WIDTH - x < 20 else "middle"
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="{ROW_HEIGHT - 4}" x2="{x:.1f}" y2="{height}"/>')
        parts.append(f'<text class="axis" x="{x:.1f}" y="{ROW_HEIGHT - 8}" text-anchor="{anchor_at}">'
                     f'+{escape(format_seconds(tick))}</text>')
    for row, step in enumerate(steps, start=1):
        parts.append(_timeline_row(step, row, axis))
    parts.append("</svg>")
    if total <= 0:
        note = '<p class="note">' + escape(_("The whole run took no virtual time.")) + "</p>"
    elif not axis.linear:
        note = '<p class="note">' + escape(_("Not to scale: long stretches are drawn shorter than they are, so that "
                                             "short steps (retries, quick tasks) stay visible. The labels give the "
                                             "true times.")) + "</p>"
    else:
        note = ""
    return "\n".join(parts) + note


class TimeAxis:
    """Virtual seconds to x positions on the bars' width.

    Linear when every stretch between two events is wide enough to see; otherwise each stretch gets a
    width that grows with the logarithm of its length, so 14 s of retries stay visible beside a 2 h Wait.
    """

    MIN_VISIBLE = 4.0  # px: narrower stretches are what a linear axis would hide

    def __init__(self, marks: list[float], widths: list[float], linear: bool, total: float) -> None:
        self.marks, self.linear, self.total = marks, linear, total
        self.positions = [0.0]
        for width in widths:
            self.positions.append(self.positions[-1] + width)

    @classmethod
    def for_run(cls, steps: list[Step], total: float) -> "TimeAxis":
        times = {0.0, total, *(s.entered_offset for s in steps),
                 *(s.exited_offset for s in steps if s.exited_offset is not None)}
        marks = sorted(t for t in times if 0 <= t <= total)
        lengths = [b - a for a, b in zip(marks, marks[1:])]
        if total <= 0 or min(lengths, default=total) * BARS_WIDTH / total >= cls.MIN_VISIBLE:
            return cls(marks, [length * BARS_WIDTH / total if total > 0 else 0.0 for length in lengths], True, total)
        weights = [math.log1p(length) + 0.2 for length in lengths]
        scale = BARS_WIDTH / sum(weights)
        return cls(marks, [w * scale for w in weights], False, total)

    def x(self, seconds: float) -> float:
        if self.total <= 0:
            return 0.0
        if self.linear:
            return seconds * BARS_WIDTH / self.total
        index = max(0, min(bisect.bisect_right(self.marks, seconds) - 1, len(self.marks) - 2))
        start, end = self.marks[index], self.marks[index + 1]
        share = (seconds - start) / (end - start) if end > start else 0.0
        return self.positions[index] + share * (self.positions[index + 1] - self.positions[index])

    def ticks(self) -> list[float]:
        if self.linear:
            return _ticks(self.total)
        ticks: list[float] = []
        for mark in self.marks:  # the moments something happened, where labels do not collide
            if not ticks or self.x(mark) - self.x(ticks[-1]) >= 64:
                ticks.append(mark)
        if ticks[-1] != self.total:  # the end is always labelled
            if len(ticks) > 1 and self.x(self.total) - self.x(ticks[-1]) < 64:
                ticks.pop()
            ticks.append(self.total)
        return ticks


def _timeline_row(step: Step, row: int, axis: TimeAxis) -> str:
    y = row * ROW_HEIGHT + 4
    depth = len(step.trail) // 2
    label = f"{step.number}. {step.name}" + (f" [{step.lane}]" if step.lane else "")
    start = LABEL_WIDTH + axis.x(step.entered_offset)
    end = LABEL_WIDTH + axis.x(step.exited_offset if step.exited_offset is not None else step.entered_offset)
    width = max(end - start, 3.0)
    kind = "failed" if step.error is not None and step.catch is None else "caught" if step.catch else "ok"
    took = "" if step.duration is None else _(", took {duration}").format(duration=format_seconds(step.duration))
    entered = _("entered at {time}").format(time="+" + format_seconds(step.entered_offset))
    return (f'<a href="#{anchor(step)}"><g class="row {kind}"><title>{escape(step.name)} ({escape(step.state_type)}): '
            f'{escape(entered)}{escape(took)}</title>'
            f'<text x="{4 + depth * 14}" y="{y + 11}">{escape(_clip(label, 40 - depth * 2))}</text>'
            f'<rect x="{start:.1f}" y="{y}" width="{width:.1f}" height="{ROW_HEIGHT - 8}" rx="3"/></g></a>')


# Tick spacings a reader counts in: seconds, minutes, hours, days.
_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _ticks(total: float) -> list[float]:
    """Round-numbered ticks, at most about six."""
    if total <= 0:
        return [0.0]
    raw = total / 6
    if raw < 1:
        power = 10 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    else:
        step = next((s for s in _TICK_STEPS if s >= raw), 86400 * math.ceil(raw / 86400))
    return [i * step for i in range(int(total / step + 1e-9) + 1)]


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1] + "…"


# -- state by state -------------------------------------------------------------------------------------
def _block_html(block: Block) -> str:
    items = tell(block)
    depth = len(block.step.trail) // 2
    ident = f' id="{anchor(block.step)}"' if block.part != "leave" else ""
    return (f'<article class="step {block.part}" style="margin-left:{depth * 24}px"{ident}>'
            f"{_items(items)}</article>")


def _items(items: list[Item]) -> str:
    out: list[str] = []
    same: list[str] = []
    for item in items:
        if isinstance(item, Same):
            same.append(f'<li><span class="label">{escape(item.label)}</span> {_prose(Text(item.reason))}</li>')
            continue
        if same:
            out.append(f'<ul class="same">{"".join(same)}</ul>')
            same = []
        out.append(_item(item))
    if same:
        out.append(f'<ul class="same">{"".join(same)}</ul>')
    return "\n".join(out)


def _item(item: Item) -> str:
    if isinstance(item, Heading):
        trail = _("in {trail}").format(trail=" › ".join(item.trail))
        where = f'<div class="trail">{escape(trail)}</div>' if item.trail else ""
        part = {"state": "", "enter": _(" — entering"), "leave": _(" — done")}[item.part]
        return (f'<h3><span class="num">{item.number}.</span> <code>{escape(item.name)}</code> '
                f'<span class="type">{escape(item.state_type)}{part}</span> '
                f'<span class="when">{escape(item.when)}</span></h3>{where}')
    if isinstance(item, Text):
        return f'<p class="point">• {_prose(item)}</p>' if item.bullet else f"<p>{_prose(item)}</p>"
    assert isinstance(item, Value)
    open_attr = " open" if len(pretty(item.value, 100).splitlines()) <= 12 else ""
    expression = ""
    if item.field and item.expression is not MISSING:
        expression = (f'<div class="expr"><span class="field">{escape(item.field)}</span>'
                      f"<pre>{escape(pretty(item.expression, 100))}</pre></div>")
    label_class = "label error" if item.label == "errorDetails" else "label"
    return (f'<div class="value"><details{open_attr}><summary><span class="{label_class}">{escape(item.label)}'
            f"</span></summary>{expression}<pre>{escape(pretty(item.value, 100))}</pre></details></div>")


def _prose(text: Text) -> str:
    return "".join(f"<code>{escape(part)}</code>" if is_code else escape(part) for part, is_code in text.segments())


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px 32px; color: #1f2328;
       background: #ffffff; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: 8px 10px; border-radius: 6px; overflow-x: auto; margin: 4px 0; }
table.summary th { text-align: left; padding-right: 16px; font-weight: 600; color: #57606a; }
table.summary td pre { margin: 0; white-space: pre-wrap; }
.status { padding: 1px 8px; border-radius: 10px; font-weight: 700; }
.status.ok { background: #dafbe1; color: #116329; }
.status.bad { background: #ffebe9; color: #a40e26; }
.status.running { background: #fff8c5; color: #7d4e00; }
.graph-box { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 8px; padding: 8px; }
.legend { color: #57606a; font-size: 13px; }
.legend .key { display: inline-block; width: 14px; height: 10px; border: 2px solid #afb8c1; margin-left: 10px; }
.legend .key.visited { background: #dbeafe; border-color: #1f6feb; }
.legend .key.caught { background: #fff1d6; border-color: #bf8700; }
.legend .key.failed { background: #ffe1e1; border-color: #cf222e; }
svg.timeline { font-family: system-ui, sans-serif; font-size: 12px; }
svg.timeline .tick { stroke: #eaeef2; }
svg.timeline .axis { fill: #57606a; font-size: 11px; }
svg.timeline .row text { fill: #1f2328; }
svg.timeline .row.ok rect { fill: #1f6feb; }
svg.timeline .row.caught rect { fill: #bf8700; }
svg.timeline .row.failed rect { fill: #cf222e; }
article.step { border-left: 3px solid #1f6feb; padding: 6px 12px; margin: 14px 0; background: #fbfcfd; }
article.step.leave { border-left-color: #8c959f; }
.num { color: #57606a; }
.type, .when, .trail { color: #57606a; font-weight: 400; font-size: 13px; }
.when { float: right; }
ul.same { margin: 4px 0; padding-left: 18px; color: #57606a; font-size: 13px; }
.label { font-family: ui-monospace, monospace; font-weight: 700; font-size: 13px; color: #0550ae; }
.label.error { color: #a40e26; }
.value summary { cursor: pointer; }
.expr { margin-left: 12px; }
.expr .field { font-size: 12px; color: #57606a; }
.note { color: #57606a; }
p.point { margin: 2px 0 2px 16px; }
footer { margin-top: 32px; color: #8c959f; font-size: 12px; }
"""
