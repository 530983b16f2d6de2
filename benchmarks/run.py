"""Benchmark sfnsim: ``python benchmarks/run.py [--quick] [--scenario NAME] [--no-moto] [--profile]``.

For each scenario (``benchmarks/scenarios.py``) it reports the compile time (``from_dict``: load,
validate, compile), the median run time with the full history recorded, state transitions per
second (a transition is a state entered), peak memory of one run (tracemalloc, in a separate pass
because tracing slows the run), and moto's run time on the same definition in the same process,
with the ratio. ``cli_startup`` times ``sfnsim run`` as a whole process. Results go to a table and
to ``benchmarks/results/latest.json``. Timings are medians; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import sfnsim
except ImportError:  # run from a checkout without an installed package
    sys.path.insert(0, str(HERE.parent / "src"))
    import sfnsim

from floor import floor_seconds  # noqa: E402
from moto_baseline import MotoBaseline, moto_version  # noqa: E402
from node_peer import node_peer_version, run_peer  # noqa: E402
from scenarios import FIXTURES, SCENARIO_NAMES, SCENARIOS, STARTUP, Scenario, Workload, by_name  # noqa: E402

from sfnsim import StateMachine  # noqa: E402

DEFAULT_OUTPUT = HERE / "results" / "latest.json"
T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """How long to keep repeating a measurement (median of at least ``min_reps``)."""

    seconds: float
    min_reps: int
    max_reps: int


FULL = {"compile": Budget(1.0, 3, 10), "run": Budget(2.0, 5, 500), "moto": Budget(5.0, 1, 3), "startup": 11,
        "node": Budget(2.0, 3, 50)}
QUICK = {"compile": Budget(0.0, 1, 1), "run": Budget(0.0, 2, 2), "moto": Budget(0.0, 1, 1), "startup": 1,
         "node": Budget(0.0, 1, 1)}


@dataclass
class Result:
    name: str
    description: str
    size: int
    transitions: int = 0
    compile_seconds: float | None = None
    run_seconds: float | None = None  # median
    run_min_seconds: float | None = None
    runs: int = 0
    peak_memory_bytes: int | None = None
    history_events: int = 0
    virtual_seconds: float = 0.0
    moto: dict[str, Any] = field(default_factory=dict)
    node: dict[str, Any] = field(default_factory=dict)
    floor_seconds: float | None = None  # the CPython floor for as many transitions (benchmarks/floor.py)
    peak_rss_bytes: int | None = None  # whole-process peak RSS of one run, in a fresh process
    startup: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    note: str = ""
    profile: list[dict[str, Any]] = field(default_factory=list)
    relative_cost: float | None = None  # µs per transition ÷ the Pass chain's

    @property
    def transitions_per_second(self) -> float | None:
        return self.transitions / self.run_seconds if self.run_seconds and self.transitions else None

    @property
    def microseconds_per_transition(self) -> float | None:
        return self.run_seconds / self.transitions * 1e6 if self.run_seconds and self.transitions else None

    @property
    def moto_ratio(self) -> float | None:
        moto_seconds = self.moto.get("run_seconds")
        return moto_seconds / self.run_seconds if moto_seconds and self.run_seconds else None

    @property
    def node_ratio(self) -> float | None:
        """sfnsim's run time ÷ the Node peer's (below 1: sfnsim is faster)."""
        node_seconds = self.node.get("run_seconds")
        return self.run_seconds / node_seconds if node_seconds and self.run_seconds else None

    @property
    def floor_ratio(self) -> float | None:
        """sfnsim's run time ÷ the CPython floor's for as many transitions."""
        return self.run_seconds / self.floor_seconds if self.floor_seconds and self.run_seconds else None

    @property
    def microseconds_per_event(self) -> float | None:
        return self.run_seconds / self.history_events * 1e6 if self.run_seconds and self.history_events else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(transitions_per_second=self.transitions_per_second,
                    microseconds_per_transition=self.microseconds_per_transition, moto_ratio=self.moto_ratio,
                    node_ratio=self.node_ratio, floor_ratio=self.floor_ratio,
                    microseconds_per_event=self.microseconds_per_event)
        return data


# -- timing -----------------------------------------------------------------------------------------
def repeat(measure: Callable[[], T], budget: Budget) -> list[T]:
    """Call ``measure`` until the budget is spent, within min/max repetitions."""
    samples: list[T] = []
    deadline = time.perf_counter() + budget.seconds
    while len(samples) < budget.max_reps and (len(samples) < budget.min_reps or time.perf_counter() < deadline):
        gc.collect()
        samples.append(measure())
    return samples


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def prepared(machine: StateMachine, workload: Workload) -> Callable[[], Any]:
    """One execution ready to go: input copied and fresh handlers built before any clock starts."""
    data, handlers = copy.deepcopy(workload.input), workload.handlers()
    return lambda: machine.run(data, handlers=handlers, **workload.options)


def run_once(machine: StateMachine, workload: Workload) -> tuple[float, Any]:
    return timed(prepared(machine, workload))


# -- one scenario -----------------------------------------------------------------------------------
def measure_scenario(scenario: Scenario, size: int, budgets: dict[str, Any], profile: bool) -> Result:
    workload = scenario.build(size)
    result = Result(scenario.name, scenario.description, size, note=workload.note)
    compile_budget = budgets["compile"]
    if size >= 50_000:  # one load of a huge definition is measurement enough
        compile_budget = Budget(0.0, 1, 1)
    compile_samples = repeat(lambda: timed(lambda: StateMachine.from_dict(workload.definition))[0], compile_budget)
    result.compile_seconds = statistics.median(compile_samples)
    if scenario.compile_only:
        return result
    machine = StateMachine.from_dict(workload.definition)

    _, execution = run_once(machine, workload)  # warm-up, and the correctness check
    result.problems += check_execution(execution, workload)
    result.transitions = count_transitions(execution.history)
    result.history_events = len(execution.history)
    result.virtual_seconds = virtual_elapsed(execution.history)
    del execution

    samples = repeat(lambda: run_once(machine, workload)[0], budgets["run"])
    result.run_seconds, result.run_min_seconds, result.runs = statistics.median(samples), min(samples), len(samples)
    result.floor_seconds = floor_seconds(result.transitions, workload.input)
    result.peak_memory_bytes = peak_memory(machine, workload)
    if "memory" in scenario.tags:
        result.peak_rss_bytes = peak_rss(scenario.name, size)
    if profile:
        result.profile = profile_run(machine, workload)
    return result


def check_execution(execution: Any, workload: Workload) -> list[str]:
    """What is wrong with a benchmark run (a fast wrong answer is not a result)."""
    problems = []
    if execution.status != "SUCCEEDED":
        problems.append(f"status {execution.status}: {execution.error}: {execution.cause}")
        return problems
    transitions = count_transitions(execution.history)
    if transitions != workload.transitions:
        problems.append(f"{transitions} transitions, expected {workload.transitions}")
    output_problem = workload.expect(execution.output)
    if output_problem:
        problems.append(output_problem)
    elapsed = virtual_elapsed(execution.history)
    if elapsed < workload.virtual_seconds:
        problems.append(f"virtual time covered {elapsed:g} s, expected {workload.virtual_seconds:g} s")
    return problems


def count_transitions(events: list[dict[str, Any]]) -> int:
    return sum(event["type"].endswith("StateEntered") for event in events)


def virtual_elapsed(events: list[dict[str, Any]]) -> float:
    if not events:
        return 0.0
    return (events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds()


def peak_memory(machine: StateMachine, workload: Workload) -> int:
    execute = prepared(machine, workload)
    gc.collect()
    tracemalloc.start()
    try:
        execution = execute()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del execution
    return peak


def profile_run(machine: StateMachine, workload: Workload, top: int = 15) -> list[dict[str, Any]]:
    """cProfile of one run, the ``top`` functions by own time (tottime)."""
    execute = prepared(machine, workload)
    profiler = cProfile.Profile()
    profiler.runcall(execute)
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{short_path(filename)}:{line}({function})", "ncalls": ncalls,
                     "tottime": tottime, "cumtime": cumtime})
    rows.sort(key=lambda row: row["tottime"], reverse=True)
    return rows[:top]


def short_path(filename: str) -> str:
    marker = "/sfnsim/"
    return "sfnsim/" + filename.split(marker, 1)[1] if marker in filename else Path(filename).name


def peak_rss(name: str, size: int) -> int | None:
    """Peak RSS of a fresh process that loads and runs the scenario once (benchmarks/rss_probe.py)."""
    completed = subprocess.run([sys.executable, str(HERE / "rss_probe.py"), name, str(size)],
                               capture_output=True, text=True, timeout=600)
    return int(completed.stdout.split()[-1]) if completed.returncode == 0 and completed.stdout.strip() else None


NODE_OFF = "the Node peer not run (--no-node, or node/npm not available)"


def measure_node(scenario: Scenario, workload: Workload, budget: Budget, available: bool) -> dict[str, Any]:
    if scenario.node is not None or scenario.compile_only:
        return {"skipped": scenario.node} if scenario.node else {}
    if not available:
        return {"skipped": NODE_OFF}
    try:
        measured = run_peer(workload.definition, workload.input, budget.min_reps, budget.seconds)
    except Exception as exc:  # noqa: BLE001 - a peer failing on a scenario is a finding, not a crash
        return {"problem": f"the Node peer failed: {type(exc).__name__}: {exc}"}
    problem = workload.expect(measured.pop("output", None))
    if problem:
        measured["problem"] = f"the Node peer's output: {problem}"
    return measured


MOTO_OFF = "moto not run (--no-moto, or moto not installed)"


def measure_moto(scenario: Scenario, workload: Workload, transitions: int, budget: Budget,
                 available: bool) -> dict[str, Any]:
    if scenario.moto is not None or scenario.compile_only:
        return {"skipped": scenario.moto} if scenario.moto else {}
    if not available:
        return {"skipped": MOTO_OFF}

    def fresh_run() -> Any:
        # A fresh mock per execution: moto 5.2.x fails a second start_execution in one mock session
        # ("cannot pickle '_thread.RLock' object"). Starting the mock is outside the timed window.
        with MotoBaseline() as moto:
            return moto.run(workload.definition, workload.input)

    runs = repeat(fresh_run, budget)
    last = runs[-1]
    measured: dict[str, Any] = {
        "run_seconds": statistics.median(r.run_seconds for r in runs),
        "create_seconds": statistics.median(r.create_seconds for r in runs),
        "runs": len(runs), "status": last.status, "transitions": last.transitions,
    }
    if last.status != "SUCCEEDED":
        measured["problem"] = f"moto ended {last.status}"
    elif last.transitions != transitions:
        measured["problem"] = f"moto entered {last.transitions} states, sfnsim {transitions}"
    return measured


# -- the CLI as a whole process ---------------------------------------------------------------------
def measure_startup(runs: int, profile: bool) -> Result:
    """Whole-process timings with a warm bytecode cache, as an installed package starts.

    Bytecode goes to a temporary PYTHONPYCACHEPREFIX (filled by a first, separately reported
    "cold" run), so the numbers do not depend on PYTHONDONTWRITEBYTECODE or on the source tree.
    """
    result = Result(STARTUP, "`sfnsim run` on the hello example, as a whole process", 1)
    command = cli_command()
    if command is None:
        result.note = "skipped: the CLI (sfnsim.cli) is not there yet"
        return result
    args = [*command, "run", str(FIXTURES / "hello.asl.json"), "--input-file", str(FIXTURES / "hello.input.json")]
    with tempfile.TemporaryDirectory(prefix="sfnsim-bench-pyc-") as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold = process_times({"cold": args}, 1, env)["cold"][0]
        completed = subprocess.run(args, capture_output=True, text=True, env=env)
        measured = process_times({"python": [sys.executable, "-c", "import json"],
                                  "import": [sys.executable, "-c", "import json, sfnsim"], "cli": args}, runs, env)
        timings = {f"{label}_seconds": wall for label, (wall, _) in measured.items()}
        cpu = {f"{label}_seconds": used for label, (_, used) in measured.items()}
        plugin_wall, plugin_cpu = plugin_overhead(runs, env)
        timings.update(plugin_wall)
        cpu.update(plugin_cpu)
        if profile:
            result.profile = import_profile(args, env)
    result.startup = {**timings, "cold_cli_seconds": cold, "command": " ".join(args), "runs": runs,
                      "cli_minus_python_seconds": timings["cli_seconds"] - timings["python_seconds"],
                      "cli_over_python": timings["cli_seconds"] / timings["python_seconds"],
                      "import_minus_python_seconds": timings["import_seconds"] - timings["python_seconds"],
                      # CPU time (user + system) of each process: steadier than the wall clock on a
                      # shared machine, so the targets' ratios are judged on it.
                      "cpu": {**cpu, "cli_over_python": cpu["cli_seconds"] / cpu["python_seconds"],
                              "import_minus_python_seconds": cpu["import_seconds"] - cpu["python_seconds"]}}
    result.run_seconds = timings["cli_seconds"]
    if completed.returncode != 0:
        result.problems.append(f"exit code {completed.returncode}: {completed.stderr.strip()[-300:]}")
    return result


def plugin_overhead(runs: int, env: dict[str, str]) -> tuple[dict[str, float], dict[str, float]]:
    """A pytest session that does not use sfnsim, with its plugin loaded (as installed) and without."""
    with tempfile.TemporaryDirectory(prefix="sfnsim-bench-plugin-") as folder:
        Path(folder, "test_plain.py").write_text("def test_plain():\n    assert 1 + 1 == 2\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"]
        for command in (base, [*base, "-p", "no:sfnsim"]):  # fill the bytecode cache for both first
            subprocess.run(command, capture_output=True, env=env, cwd=folder)
        measured = process_times({"with": base, "without": [*base, "-p", "no:sfnsim"]}, runs, env, cwd=folder)
    wall, cpu = ({"pytest_with_plugin_seconds": measured["with"][kind],
                  "pytest_without_plugin_seconds": measured["without"][kind],
                  "plugin_seconds": measured["with"][kind] - measured["without"][kind]} for kind in (0, 1))
    return wall, cpu


def import_profile(args: list[str], env: dict[str, str], top: int = 15) -> list[dict[str, Any]]:
    """The slowest imports of one CLI run (``python -X importtime``), by their own time."""
    script = args[0] if args[0] != sys.executable else None
    command = [sys.executable, "-X", "importtime", *([script, *args[1:]] if script else args[1:])]
    stderr = subprocess.run(command, capture_output=True, text=True, env=env).stderr
    rows = []
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            rows.append({"function": f"import {parts[2].strip()}", "ncalls": 1,
                         "tottime": int(parts[0]) / 1e6, "cumtime": int(parts[1]) / 1e6})
    rows.sort(key=lambda row: row["tottime"], reverse=True)
    return rows[:top]


def cli_command() -> list[str] | None:
    """The ``sfnsim`` console script next to this Python, else ``python -m sfnsim.cli``."""
    import importlib.util

    if importlib.util.find_spec("sfnsim.cli") is None:
        return None
    script = Path(sys.executable).with_name("sfnsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("sfnsim")
    return [found] if found else [sys.executable, "-m", "sfnsim.cli"]


def process_times(commands: dict[str, list[str]], runs: int, env: dict[str, str],
                  cwd: str | None = None) -> dict[str, tuple[float, float]]:
    """Median wall and CPU (user + system) seconds of each command as a whole process. The commands
    take turns, run after run, so a change in the machine's load falls on all of them alike."""
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds, _ = timed(lambda: subprocess.run(command, capture_output=True, env=env, cwd=cwd))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            samples[label].append((seconds, used))
    return {label: (statistics.median(wall for wall, _ in pairs), statistics.median(used for _, used in pairs))
            for label, pairs in samples.items()}


# -- targets (from the issue); machine-independent ratios where possible ----------------------------
Check = Callable[[Result], "tuple[bool, str] | None"]


def _at_least(value: float | None, floor: float, unit: str) -> tuple[bool, str] | None:
    return None if value is None else (value >= floor, f"{value:,.0f}{unit} (≥ {floor:,.0f}{unit})")


def _under(value: float | None, ceiling: float, unit: str, scale: float = 1.0) -> tuple[bool, str] | None:
    return None if value is None else (value < ceiling, f"{value * scale:.3g}{unit} (< {ceiling * scale:g}{unit})")


def _cpu(result: Result, key: str) -> float | None:
    return (result.startup.get("cpu") or {}).get(key)


def _ratio_at_most(value: float | None, ceiling: float, what: str) -> tuple[bool, str] | None:
    return None if value is None else (value <= ceiling, f"{value:.2f}× {what} (≤ {ceiling:g}×)")


TARGETS: dict[str, list[Check]] = {
    "pass_chain": [lambda r: _at_least(r.transitions_per_second, 100_000, " tr/s")],
    "pass_chain_10k": [lambda r: _ratio_at_most(r.floor_ratio, 2, "the floor")],
    "map_10k": [lambda r: _under(r.run_seconds, 0.2, " s"), lambda r: _ratio_at_most(r.floor_ratio, 4, "the floor")],
    "load_100k": [lambda r: _under(r.compile_seconds, 10, " s")],
    "dmap_s3_100k": [lambda r: _under(r.peak_rss_bytes / 2**20 if r.peak_rss_bytes else None, 200, " MiB peak RSS")],
    # "A one-day Wait costs no real time": a Wait may cost no more than a millisecond of wall time.
    "wait_days": [lambda r: _under(r.run_seconds / r.transitions if r.run_seconds and r.transitions else None,
                                   0.001, " ms/Wait", scale=1000)],
    STARTUP: [lambda r: _under(r.startup.get("cli_seconds"), 0.3, " s"),
              lambda r: _ratio_at_most(_cpu(r, "cli_over_python"), 3,
                                       "bare Python (`python -c 'import json'`) in CPU time"),
              lambda r: _under(_cpu(r, "import_minus_python_seconds"), 0.030, " ms of CPU added by `import sfnsim`",
                               scale=1000),
              lambda r: _under(_cpu(r, "plugin_seconds"), 0.010, " ms of CPU added by the pytest plugin", scale=1000)],
}
MOTO_TARGET: Check = lambda r: _at_least(r.moto_ratio, 1000, "×")  # noqa: E731


def loading_ratio(results: list[Result]) -> None:
    """Loading must be linear: 10,000 states may cost at most 15× what 1,000 do (judged on load_10k)."""
    by = {r.name: r for r in results}
    small, large = by.get("load_1k"), by.get("load_10k")
    if small and large and small.compile_seconds and large.compile_seconds:
        ratio = large.compile_seconds / small.compile_seconds
        large.targets.append({"target": f"{ratio:.1f}× load_1k (≤ 15×: linear in the states)",
                              "passed": ratio <= 15})


def evaluate_targets(result: Result, quick: bool) -> None:
    for check in [*TARGETS.get(result.name, []), MOTO_TARGET]:
        verdict = check(result)
        if verdict is None:
            continue
        passed, text = verdict
        result.targets.append({"target": text, "passed": None if quick else passed})


# -- output -----------------------------------------------------------------------------------------
COLUMNS = ("scenario", "transitions", "compile ms", "run ms", "runs", "µs/transition", "µs/event",
           "× floor", "peak MiB", "node ms", "÷ node", "moto ms", "× moto")


def table_rows(results: list[Result]) -> list[list[str]]:
    return [[r.name, _num(r.transitions or None, ",.0f"), _ms(r.compile_seconds), _ms(r.run_seconds),
             str(r.runs or r.startup.get("runs", "-")),
             _num(r.microseconds_per_transition, ".2f"), _num(r.microseconds_per_event, ".2f"),
             _num(r.floor_ratio, ".2f"),
             _num((r.peak_rss_bytes or r.peak_memory_bytes or 0) / 2**20 or None, ".1f"),
             _ms(r.node.get("run_seconds")), _num(r.node_ratio, ".2f"),
             _ms(r.moto.get("run_seconds")), _num(r.moto_ratio, ",.0f")] for r in results]


def set_relative_costs(results: list[Result]) -> None:
    """Each scenario's cost per transition as a multiple of a Pass state's (machine-independent)."""
    reference = next((r.microseconds_per_transition for r in results if r.name == "pass_chain"), None)
    for r in results:
        if reference and r.microseconds_per_transition:
            r.relative_cost = r.microseconds_per_transition / reference


def target_lines(results: list[Result]) -> list[str]:
    marks = {True: "✓", False: "✗", None: "·"}
    return [f"{marks[t['passed']]} {r.name}: {t['target']}" for r in results for t in r.targets]


def notes(results: list[Result]) -> list[str]:
    lines = [MOTO_OFF] if any(r.moto.get("skipped") == MOTO_OFF for r in results) else []
    lines += [NODE_OFF] if any(r.node.get("skipped") == NODE_OFF for r in results) else []
    for r in results:
        skipped, node_skipped = r.moto.get("skipped"), r.node.get("skipped")
        for text in [r.note, None if skipped == MOTO_OFF else skipped, r.moto.get("problem"),
                     None if node_skipped == NODE_OFF else node_skipped, r.node.get("problem"), *r.problems]:
            if text:
                lines.append(f"{r.name}: {text}")
        if r.peak_rss_bytes:
            lines.append(f"{r.name}: peak RSS {r.peak_rss_bytes / 2**20:.1f} MiB (a fresh process: imports, "
                         f"the input, one run); tracemalloc peak of the run alone "
                         f"{(r.peak_memory_bytes or 0) / 2**20:.1f} MiB")
        if r.startup:
            s = r.startup
            lines.append(f"{r.name}: `python -c 'import json'` {_ms(s['python_seconds'])} ms, `import sfnsim` "
                         f"{_ms(s['import_seconds'])} ms, `sfnsim run` {_ms(s['cli_seconds'])} ms "
                         f"({s['cli_over_python']:.1f}× bare Python; median of {s['runs']}, "
                         f"bytecode cached; {_ms(s['cold_cli_seconds'])} ms with an empty bytecode cache); "
                         f"a pytest session not using sfnsim: {_ms(s['pytest_with_plugin_seconds'])} ms with "
                         f"the plugin, {_ms(s['pytest_without_plugin_seconds'])} ms without")
            c = s["cpu"]
            lines.append(f"{r.name} in CPU time: `python -c 'import json'` {_ms(c['python_seconds'])} ms, "
                         f"`import sfnsim` {_ms(c['import_seconds'])} ms, `sfnsim run` {_ms(c['cli_seconds'])} ms "
                         f"({c['cli_over_python']:.1f}× bare Python); the pytest session "
                         f"{_ms(c['pytest_with_plugin_seconds'])} ms with the plugin, "
                         f"{_ms(c['pytest_without_plugin_seconds'])} ms without")
    return lines


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.2f}"


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def render(results: list[Result], meta: dict[str, Any]) -> None:
    title = (f"sfnsim {meta['sfnsim']} · Python {meta['python']} · moto {meta['moto'] or 'not run'}"
             f" · aws-local-stepfunctions {meta['node_peer'] or 'not run'}"
             + (" · QUICK (tiny sizes, targets not judged)" if meta["quick"] else ""))
    rows = table_rows(results)
    footer = ["", "Targets:", *target_lines(results), "", "Notes:", *notes(results)]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
        for row in [list(COLUMNS), *rows]:
            print("  ".join(cell.rjust(width) if i else cell.ljust(width)
                            for i, (cell, width) in enumerate(zip(row, widths))))
        print("\n".join(footer))
        return
    table = Table(title=title)
    for i, column in enumerate(COLUMNS):
        table.add_column(column, justify="right" if i else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console = Console()
    if not console.is_terminal:  # piped into a file or a report: do not squeeze into 80 columns
        console = Console(width=160)
    console.print(table)
    for line in footer:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def render_profiles(results: list[Result]) -> None:
    for r in results:
        if not r.profile:
            continue
        tool = "python -X importtime" if r.name == STARTUP else "cProfile"
        print(f"\n{tool}: one {r.name} run, top {len(r.profile)} by own time (tottime):")
        print(f"{'ncalls':>10} {'tottime':>9} {'cumtime':>9}  function")
        for row in r.profile:
            print(f"{row['ncalls']:>10} {row['tottime']:>9.4f} {row['cumtime']:>9.4f}  {row['function']}")


# -- main -------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one or two runs (checks the runner works)")
    parser.add_argument("--scenario", action="append", choices=SCENARIO_NAMES, metavar="NAME",
                        help=f"run only this scenario (repeatable): {', '.join(SCENARIO_NAMES)}")
    parser.add_argument("--no-moto", action="store_true", help="skip the moto baseline")
    parser.add_argument("--no-node", action="store_true",
                        help="skip the Node peer (aws-local-stepfunctions, installed with npm on first use)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile one run of the Pass chain and the 10k Map (or of each --scenario); "
                             "the slowest imports of the CLI")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON results (default {DEFAULT_OUTPUT})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.scenario or list(SCENARIO_NAMES)
    budgets = QUICK if args.quick else FULL
    version = None if args.no_moto else moto_version()
    peer = None if args.no_node else node_peer_version()
    meta = {"sfnsim": sfnsim.__version__, "python": platform.python_version(), "platform": platform.platform(),
            "machine": platform.machine(), "moto": version, "node_peer": peer, "quick": args.quick,
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    selected = [s for s in SCENARIOS if s.name in names]
    sizes = {s.name: s.quick_size if args.quick else s.size for s in selected}
    settle(selected)
    results = [guarded(s, lambda s=s: measure_scenario(s, sizes[s.name], budgets, args.profile and (
        bool(args.scenario) or "profile" in s.tags))) for s in selected]
    for scenario, result in zip(selected, results):
        if result.runs or scenario.compile_only:
            result.node = measure_node(scenario, scenario.build(sizes[scenario.name]), budgets["node"], peer is not None)
    # moto last: the state it keeps (every execution's history) would slow the garbage collector
    # during sfnsim's runs and skew them.
    for scenario, result in zip(selected, results):
        if result.runs or scenario.compile_only:
            result.moto = guarded_moto(lambda s=scenario, r=result: measure_moto(
                s, s.build(sizes[s.name]), r.transitions, budgets["moto"], version is not None))
    if STARTUP in names:
        results.append(measure_startup(budgets["startup"], args.profile))
    set_relative_costs(results)
    for result in results:
        evaluate_targets(result, args.quick)
    if not args.quick:
        loading_ratio(results)

    render(results, meta)
    render_profiles(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "scenarios": [r.to_json() for r in results]}, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    return 1 if any(r.problems for r in results) else 0


def settle(scenarios: list[Scenario]) -> None:
    """Import lazily loaded modules before timing, then freeze the heap built so far.

    The first compile would otherwise pay for importing the validator, and every ``gc.collect()``
    between runs would walk every object of moto, boto3 and rich.
    """
    for scenario in scenarios:
        try:
            workload = scenario.build(scenario.quick_size)
            prepared(StateMachine.from_dict(workload.definition), workload)()
        except Exception:  # noqa: BLE001 - the measurement itself will report it
            pass
    gc.collect()
    gc.freeze()


def guarded(scenario: Scenario, measure: Callable[[], Result]) -> Result:
    """A scenario that crashes is reported as a problem; the others still run."""
    try:
        return measure()
    except Exception as exc:  # noqa: BLE001 - a benchmark report beats a traceback halfway through
        return Result(scenario.name, scenario.description, 0, problems=[f"{type(exc).__name__}: {exc}"])


def guarded_moto(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return measure()
    except Exception as exc:  # noqa: BLE001 - moto failing on a scenario is a finding, not a crash
        return {"problem": f"moto failed: {type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    sys.exit(main())
