"""The benchmark runner works (tiny sizes, no timing assertions): benchmarks/run.py."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
ONE_DAY = 86_400
MODULES = ("run", "scenarios", "moto_baseline", "floor", "node_peer")


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``--quick --no-moto`` run of every scenario, as a user would start it."""
    output = tmp_path_factory.mktemp("bench") / "latest.json"
    completed = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--no-moto", "--no-node",
                                "--output", str(output)], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(output.read_text())
    report["stdout"] = completed.stdout
    return report


@pytest.fixture()
def bench() -> Iterator[dict[str, ModuleType]]:
    """The runner's modules imported in-process (they import each other as top-level modules)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(BENCHMARKS))
        for name in MODULES:
            sys.modules.pop(name, None)


def scenario(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["scenarios"] if s["name"] == name)


# Quick sizes: 10 Pass states; 5 loop iterations (Init, 6 checks, 2 per iteration, Done);
# 10 and 20 Map items (the Map state + one Pass each); 3 branches of 3; 3 Waits; one Task;
# 20 Pass states; 5 Map items of 5 Tasks each; a Distributed Map (its children have their own histories).
@pytest.mark.parametrize("name, transitions", [
    ("pass_chain", 10), ("choice_loop", 18), ("map_1k", 11), ("parallel_20x20", 10),
    ("wait_days", 3), ("retry_backoff", 1), ("map_10k", 21), ("pass_chain_10k", 20), ("map_tasks_1k", 26),
    ("dmap_s3_100k", 1),
])
def test_quick_run_measures_each_scenario(quick_report: dict[str, Any], name: str, transitions: int) -> None:
    result = scenario(quick_report, name)
    assert result["problems"] == []
    assert result["transitions"] == transitions
    assert result["run_seconds"] > 0 and result["compile_seconds"] > 0
    assert result["transitions_per_second"] == pytest.approx(transitions / result["run_seconds"])
    assert result["peak_memory_bytes"] > 0
    assert result["moto"] == {"skipped": "moto not run (--no-moto, or moto not installed)"} or \
        result["moto"]["skipped"].startswith("not comparable")
    # the CPython floor is measured in the same run, for as many transitions
    assert result["floor_seconds"] > 0
    assert result["floor_ratio"] == pytest.approx(result["run_seconds"] / result["floor_seconds"])


def test_loading_is_measured_alone_for_each_size(quick_report: dict[str, Any]) -> None:
    loads = [scenario(quick_report, name) for name in ("load_1k", "load_10k", "load_100k")]
    assert [load["size"] for load in loads] == [100, 1000, 2000]
    assert all(load["compile_seconds"] > 0 and load["run_seconds"] is None for load in loads)


def test_the_distributed_map_reports_a_fresh_process_peak_rss(quick_report: dict[str, Any]) -> None:
    result = scenario(quick_report, "dmap_s3_100k")
    assert result["peak_rss_bytes"] > 10 * 2**20  # at least the interpreter and sfnsim's imports


def test_the_floor_builds_two_aws_shaped_events_per_transition(bench: dict[str, ModuleType]) -> None:
    events = bench["floor"].build_events(3, {"x": 1})
    assert [e["type"] for e in events] == ["ExecutionStarted"] + ["PassStateEntered", "PassStateExited"] * 3
    assert [e["previousEventId"] for e in events] == [0, 1, 2, 3, 4, 5, 6]


def test_the_example_pipeline_runs_correctly(quick_report: dict[str, Any]) -> None:
    result = scenario(quick_report, "example_pipeline")
    assert result["problems"] == []
    # daily_etl: 2 hours until the upstream window; the hello fixture: a one-hour Wait.
    assert result["virtual_seconds"] >= 3600 and result["transitions"] >= 7


def test_quick_run_prints_a_table_and_marks_targets_unjudged(quick_report: dict[str, Any]) -> None:
    assert quick_report["meta"]["quick"] is True
    assert "µs/transition" in quick_report["stdout"] and "× floor" in quick_report["stdout"]
    judged = [t for s in quick_report["scenarios"] for t in s["targets"]]
    assert judged and all(t["passed"] is None for t in judged)


def test_virtual_time_covers_waits_and_backoff(quick_report: dict[str, Any]) -> None:
    # Three one-day Waits; retries after IntervalSeconds 2, then 2 × BackoffRate 2 = 4 seconds.
    assert scenario(quick_report, "wait_days")["virtual_seconds"] == 3 * ONE_DAY
    assert scenario(quick_report, "retry_backoff")["virtual_seconds"] == 6


def test_startup_is_measured_or_skipped_with_a_note(quick_report: dict[str, Any]) -> None:
    result = scenario(quick_report, "cli_startup")
    if result["startup"]:
        assert result["problems"] == []
        startup = result["startup"]
        assert startup["cli_seconds"] > startup["python_seconds"] > 0
        assert startup["cli_over_python"] == pytest.approx(startup["cli_seconds"] / startup["python_seconds"])
        assert startup["pytest_with_plugin_seconds"] > 0 and startup["pytest_without_plugin_seconds"] > 0
        cpu = startup["cpu"]  # the same processes' CPU time, on which the targets' ratios are judged
        assert cpu["cli_seconds"] > cpu["python_seconds"] > 0
        assert cpu["cli_over_python"] == pytest.approx(cpu["cli_seconds"] / cpu["python_seconds"])
    else:
        assert "not there yet" in result["note"]


def test_one_scenario_can_be_selected(tmp_path: Path) -> None:
    output = tmp_path / "one.json"
    completed = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--no-moto", "--no-node",
                                "--scenario", "wait_days", "--output", str(output)],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert [s["name"] for s in json.loads(output.read_text())["scenarios"]] == ["wait_days"]


def test_profile_lists_sfnsim_hotspots_by_own_time(tmp_path: Path) -> None:
    output = tmp_path / "profile.json"
    completed = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--no-moto", "--no-node", "--profile",
                                "--scenario", "pass_chain", "--output", str(output)],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(output.read_text())["scenarios"][0]["profile"]
    assert any(row["function"].startswith("sfnsim/") for row in rows)
    assert [row["tottime"] for row in rows] == sorted((row["tottime"] for row in rows), reverse=True)
    assert "by own time (tottime)" in completed.stdout


def test_an_unknown_scenario_is_a_usage_error_that_lists_the_names(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--scenario", "nope",
                                "--output", str(tmp_path / "x.json")], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "invalid choice: 'nope'" in completed.stderr and "pass_chain" in completed.stderr


def test_a_wrong_run_is_reported_not_timed_silently(bench: dict[str, ModuleType]) -> None:
    from sfnsim import StateMachine

    run, scenarios = bench["run"], bench["scenarios"]
    workload = scenarios.pass_chain(3)
    execution = StateMachine.from_dict(workload.definition).run(workload.input)
    assert run.check_execution(execution, workload) == []
    wrong = dataclasses.replace(workload, transitions=4, virtual_seconds=60)
    assert run.check_execution(execution, wrong) == [
        "3 transitions, expected 4", "virtual time covered 0 s, expected 60 s"]


def test_choice_loop_sums_like_gauss(bench: dict[str, ModuleType]) -> None:
    from sfnsim import StateMachine

    workload = bench["scenarios"].choice_loop(10)
    execution = StateMachine.from_dict(workload.definition).run(workload.input)
    assert execution.output == {"i": 10, "total": 55}
    assert bench["run"].count_transitions(execution.history) == 33


def test_moto_baseline_runs_a_definition_for_real(bench: dict[str, ModuleType]) -> None:
    pytest.importorskip("moto")
    pytest.importorskip("boto3")
    workload = bench["scenarios"].pass_chain(3)
    with bench["moto_baseline"].MotoBaseline(timeout=30) as moto:
        result = moto.run(workload.definition, workload.input)
    assert (result.status, result.transitions, result.output) == ("SUCCEEDED", 3, workload.input)
    assert result.run_seconds > 0


def test_the_node_peer_runs_a_definition_when_installed(bench: dict[str, ModuleType]) -> None:
    node_peer = bench["node_peer"]
    if node_peer.node_peer_version(install=False) is None:
        pytest.skip("the Node peer is not installed (python benchmarks/run.py installs it with npm on first use)")
    workload = bench["scenarios"].pass_chain(3)
    measured = node_peer.run_peer(workload.definition, workload.input, runs=2, seconds=0)
    assert measured["output"] == workload.input and measured["runs"] == 2 and measured["run_seconds"] > 0
