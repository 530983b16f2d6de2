"""The coverage of a suite as one self-contained HTML page: per state machine, its graph with the
covered states and branches marked and the missing ones outlined, and the list of what is missing.

The graph is the walkthrough report's (``walk.graph``): covered states are drawn as entered, covered
Choice rules, Defaults and Catchers as transitions taken. No script, font or image is fetched, and
every name from a definition goes through ``html.escape``.
"""

from __future__ import annotations

from html import escape

from sfnsim.coverage.data import CoverageData, MachineCoverage
from sfnsim.coverage.report import machine_title
from sfnsim.walk.graph import GRAPH_CSS, Run, render_svg


def render_html(data: CoverageData, *, title: str = "Workflow coverage") -> str:
    totals = data.totals()
    body = [
        f"<h1>{escape(title)}: {data.percent:.2f}%</h1>",
        f'<p class="totals">{totals["states"]["covered"]}/{totals["states"]["total"]} states and '
        f'{totals["branches"]["covered"]}/{totals["branches"]["total"]} branches covered, over '
        f"{len(data.machines)} state machine{'s' if len(data.machines) != 1 else ''}.</p>",
        _summary_table(data),
        _LEGEND,
    ]
    for number, machine in enumerate(data.sorted_machines(), 1):
        body.append(_machine_section(machine, f"m{number}"))
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}{GRAPH_CSS}{_COVERAGE_GRAPH_CSS}</style>",
        "</head><body>",
        *body,
        "<footer>Made by sfnsim from the executions' histories.</footer>",
        "</body></html>",
        "",
    ])


def _summary_table(data: CoverageData) -> str:
    rows = ["<table><thead><tr><th>State machine</th><th>States</th><th>Branches</th><th>Cover</th></tr></thead><tbody>"]
    for number, machine in enumerate(data.sorted_machines(), 1):
        summary = machine.summary()
        rows.append(
            f'<tr><td><a href="#m{number}">{escape(machine_title(machine))}</a></td>'
            f'<td>{summary["states"]["covered"]}/{summary["states"]["total"]}</td>'
            f'<td>{summary["branches"]["covered"]}/{summary["branches"]["total"]}</td>'
            f'<td class="{_level(machine.percent)}">{machine.percent:.2f}%</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _machine_section(machine: MachineCoverage, anchor: str) -> str:
    summary = machine.summary()
    parts = [
        f'<section id="{anchor}"><h2>{escape(machine_title(machine))} — {machine.percent:.2f}%</h2>',
        f'<p>{machine.executions} execution{"s" if machine.executions != 1 else ""}; '
        f'states {summary["states"]["covered"]}/{summary["states"]["total"]}, '
        f'branches {summary["branches"]["covered"]}/{summary["branches"]["total"]}.</p>',
        f'<div class="graph-box">{render_svg(machine.definition, coverage_run(machine))}</div>',
    ]
    missing = [f"<li>state <code>{escape(name)}</code></li>" for name in summary["states"]["missing"]]
    missing += [f"<li>branch {escape(label)}</li>" for label in summary["branches"]["missing"]]
    if missing:
        parts += ["<h3>Not covered</h3>", '<ul class="missing">', *missing, "</ul>"]
    else:
        parts.append('<p class="full">Every state and branch was covered.</p>')
    covered = [(label, times) for label, times in summary["branch_hits"].items() if times]
    if covered:
        parts += ["<h3>Branches taken</h3>", '<ul class="covered">',
                  *(f"<li>{escape(label)} <span class=\"times\">×{times}</span></li>" for label, times in covered),
                  "</ul>"]
    if summary["undetermined"]:
        parts += ["<h3>Could not be told from the histories</h3>", "<ul>",
                  *(f"<li>{escape(reason)} <span class=\"times\">×{times}</span></li>"
                    for reason, times in summary["undetermined"].items()), "</ul>"]
    parts.append("</section>")
    return "\n".join(parts)


def coverage_run(machine: MachineCoverage) -> Run:
    """The graph's view of coverage: states entered (with visit counts) and branches taken."""
    run = Run()
    run.visits = {name: count for name, count in machine.hits.states.items() if count and name in machine.items.states}
    for branch in machine.items.branches:
        if branch.target is not None and machine.hits.branches[branch.id]:
            run.taken.add((branch.state, branch.target))
    return run


def _level(percent: float) -> str:
    return "high" if percent >= 90 else ("mid" if percent >= 60 else "low")


_LEGEND = ('<p class="legend"><span class="key covered">covered state</span> '
           '<span class="key missing">state never entered</span> '
           "Blue arrows: Choice rules, Defaults and Catchers taken; red dashed: never taken.</p>")

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1f2328; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
table { border-collapse: collapse; } th, td { padding: .3rem .8rem; border-bottom: 1px solid #d0d7de; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.high { color: #1a7f37; } td.mid { color: #9a6700; } td.low { color: #cf222e; font-weight: 600; }
.graph-box { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem; }
ul.missing li { color: #cf222e; } .times { color: #57606a; font-size: .9em; }
.key { display: inline-block; padding: 0 .5rem; margin-right: .5rem; border-radius: 4px; }
.key.covered { background: #dbeafe; border: 2px solid #1f6feb; }
.key.missing { border: 2px dashed #cf222e; }
footer { margin-top: 3rem; color: #57606a; font-size: .85rem; }
"""

# In a coverage page a state not entered is missing, and so is a branch not taken.
_COVERAGE_GRAPH_CSS = """
svg.graph .node:not(.visited) > rect { stroke: #cf222e; stroke-dasharray: 5 3; stroke-width: 1.8; }
svg.graph .edge.choice:not(.taken), svg.graph .edge.default:not(.taken), svg.graph .edge.catch:not(.taken) {
  stroke: #cf222e; stroke-dasharray: 5 3; }
"""
