"""Diagrams: Mermaid and DOT from a definition, nested Parallel/Map subgraphs, Choice labels in the
words of the AWS documentation's operators, and a run's path highlighted (from a local run or an
AWS-recorded history)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_runner import invoke
from corpus import conformance_case

from sfnsim import StateMachine
from sfnsim.history.replay import read_history, step_tree
from sfnsim.render.graph import build_graph, describe_rule, highlight, render_graph

ROOT = Path(__file__).resolve().parents[2]
ORDERS = ROOT / "fixtures" / "cli" / "orders.asl.json"




NESTED = {
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Choice", "Default": "Fan",
                  "Choices": [{"Variable": "$.skip", "BooleanEquals": True, "Next": "Done"}]},
        "Fan": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
            {"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "End": True, "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "End": True,
                    "Catch": [{"ErrorEquals": ["States.TaskFailed", "States.Timeout"], "Next": "Skip"}]},
                    "Skip": {"Type": "Pass", "End": True}}}}}},
        ]},
        "Done": {"Type": "Succeed"},
    },
}


# ---------------------------------------------------------------- reading Mermaid back


class Mermaid:
    """The parts of our Mermaid output: nodes, which subgraphs hold them, edges, classes, link styles."""

    NODE = re.compile(r'^(\w+)[\[\(\{/]+"(.*)"[\]\)\}/]+$')
    EDGE = re.compile(r'^(\w+) (-->|-\.->)(?:\|"(.*)"\|)? (\w+)$')

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        assert self.lines[0] == "flowchart TD"
        self.labels: dict[str, str] = {}
        self.inside: dict[str, list[str]] = {}
        self.edges: list[tuple[str, str, str | None, str]] = []
        self.classes: dict[str, set[str]] = {}
        self.link_styles: set[int] = set()
        stack: list[str] = []
        for raw in self.lines[1:]:
            line = raw.strip()
            if line.startswith("subgraph "):
                stack.append(re.match(r'subgraph \w+\["(.*)"\]', line).group(1))
            elif line == "end":
                stack.pop()
            elif line.startswith("class "):
                _, ids, name = line.split()
                self.classes.setdefault(name, set()).update(ids.split(","))
            elif line.startswith("linkStyle "):
                self.link_styles.update(int(i) for i in line.split()[1].split(","))
            elif (edge := self.EDGE.match(line)) is not None:
                self.edges.append((edge.group(1), edge.group(2), edge.group(3), edge.group(4)))
            elif (node := self.NODE.match(line)) is not None:
                self.labels[node.group(1)] = node.group(2)
                self.inside[node.group(1)] = list(stack)
        assert stack == []

    def node(self, name: str) -> str:
        [node_id] = [i for i, label in self.labels.items() if label.split("<br/>")[0] == name]
        return node_id

    def edge(self, source: str, target: str) -> tuple[int, str, str | None]:
        a, b = self.node(source), self.node(target)
        [(index, arrow, label)] = [(i, e[1], e[2]) for i, e in enumerate(self.edges) if (e[0], e[3]) == (a, b)]
        return index, arrow, label


# ---------------------------------------------------------------- structure


def test_parallel_branches_and_map_processors_are_nested_subgraphs() -> None:
    diagram = Mermaid(render_graph(NESTED, "mermaid"))
    assert diagram.inside[diagram.node("Check")] == []
    assert diagram.inside[diagram.node("Fan")] == ["Fan (Parallel)"]
    assert diagram.inside[diagram.node("Left")] == ["Fan (Parallel)", "branch 1"]
    assert diagram.inside[diagram.node("Each")] == ["Fan (Parallel)", "branch 2", "Each (Map)"]
    assert diagram.inside[diagram.node("Work")] == ["Fan (Parallel)", "branch 2", "Each (Map)"]
    assert diagram.labels[diagram.node("Work")] == "Work<br/>Task: lambda:invoke"


def test_edges_follow_next_choices_default_catch_and_branches() -> None:
    diagram = Mermaid(render_graph(NESTED, "mermaid"))
    assert diagram.edge("Check", "Done")[1:] == ("-->", "$.skip == true")
    assert diagram.edge("Check", "Fan")[1:] == ("-->", "Default")
    assert diagram.edge("Fan", "Done")[1:] == ("-->", None)
    assert diagram.edge("Work", "Skip")[1:] == ("-.->", "States.TaskFailed, States.Timeout")
    assert diagram.edge("Fan", "Left")[1:] == ("-.->", None)
    assert diagram.edge("Fan", "Each")[1:] == ("-.->", None)
    assert diagram.edge("Each", "Work")[1:] == ("-.->", None)
    assert diagram.edge("Start", "Check")[0] == 0
    assert diagram.edge("Done", "End")[1] == "-->"
    ends = [e for e in diagram.edges if e[3] == diagram.node("End")]
    assert len(ends) == 1  # states ending a branch or an iteration do not end the execution


def test_dot_has_the_same_graph_with_clusters() -> None:
    graph = build_graph(NESTED)
    dot = render_graph(NESTED, "dot", title='my "machine"')
    assert dot.startswith('digraph "my \\"machine\\"" {')
    assert dot.count("subgraph cluster_") == 4  # Fan, its two branches, Each
    assert len(re.findall(r"^\s+n\d+ -> n\d+", dot, flags=re.M)) == len(graph.edges)
    catch = [line for line in dot.splitlines() if "States.TaskFailed, States.Timeout" in line]
    assert len(catch) == 1 and 'style="dashed"' in catch[0]
    pydot = pytest.importorskip("pydot", reason="pydot checks that the DOT text parses")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydot's own deprecation warnings from pyparsing
        [parsed] = pydot.graph_from_dot_data(dot)
    assert len(parsed.get_subgraphs()) == 1 and len(parsed.get_edges()) == len(graph.edges)


@pytest.mark.parametrize(("rule", "text"), [
    ({"Variable": "$.type", "StringEquals": "Private", "Next": "X"}, '$.type == "Private"'),
    ({"Variable": "$.value", "NumericGreaterThanEquals": 20, "Next": "X"}, "$.value >= 20"),
    ({"Variable": "$.value", "NumericLessThanPath": "$.limit", "Next": "X"}, "$.value < $.limit"),
    ({"Variable": "$.timestamp", "TimestampLessThan": "2016-03-14T01:59:00Z", "Next": "X"},
     '$.timestamp < "2016-03-14T01:59:00Z"'),
    ({"Variable": "$.name", "StringMatches": "log-*.txt", "Next": "X"}, '$.name matches "log-*.txt"'),
    ({"Variable": "$.x", "IsPresent": False, "Next": "X"}, "$.x is absent"),
    ({"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "X"}, 'not ($.type == "Private")'),
    ({"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
              {"Variable": "$.value", "NumericLessThan": 30}], "Next": "X"}, "$.value >= 20 and $.value < 30"),
    ({"Condition": "{% $states.input.n > 3 %}", "Next": "X"}, "$states.input.n > 3"),
])
def test_choice_rules_read_as_conditions(rule: dict, text: str) -> None:
    assert describe_rule(rule) == text


def test_labels_are_escaped_for_mermaid() -> None:
    definition = {"StartAt": 'Say "hi" <now>', "States": {'Say "hi" <now>': {"Type": "Pass", "End": True}}}
    text = render_graph(definition, "mermaid")
    assert '"Say #quot;hi#quot; #lt;now#gt;<br/>Pass"' in text


# ---------------------------------------------------------------- highlighting a run


def _work(item: int) -> int:
    if item == 2:
        raise RuntimeError("cannot work on 2")
    return item


def test_a_local_run_is_highlighted() -> None:
    execution = StateMachine.from_dict(NESTED).run({"skip": False, "items": [1, 2]}, handlers={"work": _work})
    assert execution.status == "SUCCEEDED"
    diagram = Mermaid(render_graph(NESTED, "mermaid", tree=step_tree(execution.history)))
    assert diagram.classes["visited"] == {diagram.node(n) for n in ("Check", "Fan", "Left", "Each", "Work", "Skip", "Done")}
    taken = {diagram.edge(a, b)[0] for a, b in [("Start", "Check"), ("Check", "Fan"), ("Fan", "Left"), ("Fan", "Each"),
                                                ("Each", "Work"), ("Work", "Skip"), ("Fan", "Done"), ("Done", "End")]}
    assert diagram.link_styles == taken  # not Check → Done: that rule did not match


def test_a_failed_run_marks_the_failing_state() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True}}}
    execution = StateMachine.from_dict(definition).run({}, handlers={"B": lambda p: 1 / 0})
    diagram = Mermaid(render_graph(definition, "mermaid", tree=step_tree(execution.history)))
    assert diagram.classes["failed"] == {diagram.node("B")}
    assert diagram.classes["visited"] == {diagram.node("A")}
    assert diagram.edge("B", "End")[0] not in diagram.link_styles  # it failed: End was not reached


def _aws_history_file(case: dict, path: Path) -> Path:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    events = []
    for event in case["events"]:
        out = {**event, "timestamp": (start + timedelta(milliseconds=event["id"])).isoformat()}
        for key, details in event.items():
            if key.endswith("EventDetails"):
                out[key] = {k: json.dumps(v) if k in ("input", "output", "parameters") else v for k, v in details.items()}
        events.append(out)
    path.write_text(json.dumps({"events": events}))
    return path


def test_an_aws_recorded_history_is_highlighted_through_the_cli(tmp_path: Path) -> None:
    case = conformance_case("test_map_catch_error[MAP_CATCH_ERROR_OUTPUT]")
    definition = tmp_path / "map.asl.json"
    definition.write_text(json.dumps(case["definition"]))
    history = _aws_history_file(case, tmp_path / "history.json")

    result = invoke("graph", definition, "--history", history)
    assert result.exit_code == 0, result.output
    diagram = Mermaid(result.stdout)
    entered = {e["stateEnteredEventDetails"]["name"] for e in case["events"] if e["type"].endswith("StateEntered")}
    assert diagram.classes["visited"] == {diagram.node(name) for name in entered}
    assert diagram.edge("ProcessItem", "Fallback")[1] == "-.->"  # the recorded Catch
    assert diagram.edge("ProcessItem", "Fallback")[0] in diagram.link_styles

    dot = invoke("graph", definition, "--history", history, "--format", "dot")
    assert dot.exit_code == 0 and dot.stdout.startswith('digraph "map" {')
    assert dot.stdout.count('fillcolor="#e8f5e9"') == len(entered)


def test_graph_bad_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asl.json"
    bad.write_text('{"StartAt": "Nope", "States": {"A": {"Type": "Pass", "End": true}}}')
    result = invoke("graph", bad)
    assert result.exit_code == 2 and "(at /StartAt)" in result.stderr and "Traceback" not in result.stderr
    history = tmp_path / "h.json"
    history.write_text("[1, 2")
    result = invoke("graph", ORDERS, "--history", history)
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
    assert invoke("graph", ORDERS, "--format", "svg").exit_code == 2


def test_graph_as_a_real_process() -> None:
    done = subprocess.run([sys.executable, "-m", "sfnsim.cli", "graph", str(ORDERS), "--format", "mermaid"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    diagram = Mermaid(done.stdout)
    assert diagram.inside[diagram.node("PackItem")] == ["Pack (Map)"]
    assert diagram.inside[diagram.node("Sms")] == ["Notify (Parallel)", "branch 2"]


def test_highlight_tolerates_an_empty_history() -> None:
    graph = highlight(build_graph(NESTED), step_tree([]))
    assert not graph.visited and not graph.taken
    assert read_history({"events": []}) == []
