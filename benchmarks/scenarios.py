"""The benchmark scenarios: each one generates its definition, input and handlers for a given size.

A scenario is data, not code paths in the runner: the runner times whatever ``build(size)`` gives
it, counts transitions (``*StateEntered`` events) and checks ``expect`` so a benchmark of a broken
run cannot pass silently. ``moto`` says whether moto's interpreter can run the same definition
and, when it cannot, why (the reason is printed in the table).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

REPO_ROOT = Path(__file__).resolve().parents[1]
DAILY_ETL = REPO_ROOT / "examples" / "daily_etl"
FIXTURES = REPO_ROOT / "fixtures" / "examples"

ONE_DAY = 86_400
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


@dataclass(frozen=True)
class Workload:
    """One runnable instance of a scenario."""

    definition: dict[str, Any]
    input: Any
    transitions: int  # states entered, known from the shape of the definition
    handlers: Callable[[], Mapping[str, Any] | None] = lambda: None  # fresh per run: mocks count calls
    expect: Callable[[Any], str | None] = lambda output: None  # a problem with the output, or None
    virtual_seconds: float = 0.0  # how much virtual time the run must cover
    options: Mapping[str, Any] = field(default_factory=dict)  # more keywords for ``sm.run``
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    build: Callable[[int], Workload]
    size: int
    quick_size: int
    moto: str | None = None  # None: moto runs it too; otherwise why it is not compared
    tags: frozenset[str] = field(default_factory=frozenset)
    node: str | None = None  # None: the Node peer runs it too; otherwise why it is not compared
    compile_only: bool = False  # measures loading (from_dict) alone, not runs


# -- definitions ----------------------------------------------------------------------------------
def pass_chain(size: int) -> Workload:
    names = [f"Step{i:05d}" for i in range(size)]
    states: dict[str, Any] = {}
    for name, following in zip(names, names[1:] + [None]):
        states[name] = {"Type": "Pass", "Next": following} if following else {"Type": "Pass", "End": True}
    return Workload({"StartAt": names[0], "States": states}, {"payload": "unchanged"}, transitions=size,
                    expect=_equals({"payload": "unchanged"}))


def choice_loop(size: int) -> Workload:
    """Count to ``size`` with States.MathAdd, summing the counter: 3 transitions per iteration."""
    definition = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"i": 0, "total": 0}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericLessThan": size, "Next": "Increment"}],
                "Default": "Done",
            },
            "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "total.$": "$.total"},
                          "Next": "Accumulate"},
            "Accumulate": {"Type": "Pass", "Parameters": {"i.$": "$.i", "total.$": "States.MathAdd($.total, $.i)"},
                           "Next": "Check"},
            "Done": {"Type": "Succeed"},
        },
    }
    # Init + (size + 1) checks + 2 per iteration + Done; the total is Gauss's sum 1..size.
    return Workload(definition, {}, transitions=3 * size + 3,
                    expect=_equals({"i": size, "total": size * (size + 1) // 2}))


def inline_map(size: int) -> Workload:
    definition = {
        "StartAt": "EachItem",
        "States": {
            "EachItem": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Label",
                    "States": {
                        "Label": {"Type": "Pass", "Parameters": {"label.$": "States.Format('item {}', $)"},
                                  "End": True},
                    },
                },
                "End": True,
            },
        },
    }
    # Items from 1: aws-local-stepfunctions 3.0.0 fails States.Format on a 0 ("'$' does not point to a value").
    expected = [{"label": f"item {i}"} for i in range(1, size + 1)]
    return Workload(definition, {"items": list(range(1, size + 1))}, transitions=1 + size, expect=_equals(expected))


EXPRESS_NOTE = "an Express workflow: as Standard it would end at AWS's 25,000-event history quota"


def express_inline_map(size: int) -> Workload:
    return dataclasses.replace(inline_map(size), options={"machine_type": "EXPRESS"}, note=EXPRESS_NOTE)


def parallel_grid(size: int) -> Workload:
    """``size`` branches of ``size`` Pass states each."""
    branches = []
    for b in range(size):
        names = [f"B{b}S{s}" for s in range(size)]
        states = {name: ({"Type": "Pass", "Next": nxt} if nxt else {"Type": "Pass", "Result": b, "End": True})
                  for name, nxt in zip(names, names[1:] + [None])}
        branches.append({"StartAt": names[0], "States": states})
    definition = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "Branches": branches, "End": True}}}
    return Workload(definition, {}, transitions=1 + size * size, expect=_equals(list(range(size))))


def wait_days(size: int) -> Workload:
    names = [f"Day{i:03d}" for i in range(size)]
    states = {name: ({"Type": "Wait", "Seconds": ONE_DAY, "Next": nxt} if nxt
                     else {"Type": "Wait", "Seconds": ONE_DAY, "End": True})
              for name, nxt in zip(names, names[1:] + [None])}
    return Workload({"StartAt": names[0], "States": states}, {"waited": True}, transitions=size,
                    expect=_equals({"waited": True}), virtual_seconds=size * ONE_DAY)


def retry_backoff(size: int) -> Workload:
    """A Task that fails twice, then succeeds: retries after 2 s and 4 s (BackoffRate 2)."""
    from sfnsim import mock

    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": LAMBDA_ARN.format("flaky"),
                "Retry": [{"ErrorEquals": ["Custom.Transient"], "IntervalSeconds": 2, "BackoffRate": 2,
                           "MaxAttempts": 3}],
                "End": True,
            },
        },
    }

    def handlers() -> Mapping[str, Any]:
        return {"Flaky": mock.raises("Custom.Transient", "try again", times=2).then(returns={"ok": True})}

    return Workload(definition, {}, transitions=1, handlers=handlers, expect=_equals({"ok": True}),
                    virtual_seconds=2 + 4)


def example_pipeline(size: int) -> Workload:
    """The daily ETL example with its own handlers; the hello fixture if the example is absent."""
    if (DAILY_ETL / "statemachine" / "daily_etl.asl.json").is_file():
        return daily_etl()
    definition = json.loads((FIXTURES / "hello.asl.json").read_text())
    data = json.loads((FIXTURES / "hello.input.json").read_text())
    # Greet, AnyOrders?, WaitForWarehouse, PriceEachOrder, one Total per order, Done.
    return Workload(definition, data, transitions=5 + len(data["orders"]), virtual_seconds=3600,
                    expect=lambda output: None if output.get("count") == len(data["orders"]) else
                    f"expected count {len(data['orders'])}, got {output.get('count')!r}",
                    note="examples/daily_etl not found: ran fixtures/examples/hello.asl.json instead")


def daily_etl() -> Workload:
    """A normal day of ``examples/daily_etl``: its Lambda handlers, an SNS mock, a 2-hour Wait."""
    from sfnsim import mock

    definition = json.loads((DAILY_ETL / "statemachine" / "daily_etl.asl.json").read_text())
    functions = _example_handlers().LAMBDA_FUNCTIONS
    files = [{"region": region, "path": f"s3://lake/raw/orders/dt=2024-06-01/region={region}/", "rows": rows}
             for region, rows in (("eu", 120), ("us", 250), ("ap", 50))]
    day = {"run_date": "2024-06-01", "upstream_ready_at": "2024-06-02T02:00:00Z",
           "manifest": {"status": "COMPLETE", "schema_version": "v2", "files": files}}

    def handlers() -> Mapping[str, Any]:
        return {**functions, "NotifyFailure": mock.returns({"MessageId": "never-sent"})}

    # Wait, Extract, ValidateExtract, Transform + its two branch Tasks, LoadPartitions + one
    # LoadPartition per file, Summarize; rows and partitions follow from the manifest.
    expected = {"run_date": "2024-06-01", "rows_extracted": sum(f["rows"] for f in files),
                "tables": ["orders_clean", "dim_customer"], "partitions_loaded": len(files)}
    return Workload(definition, day, transitions=8 + len(files), handlers=handlers, expect=_equals(expected),
                    virtual_seconds=2 * 3600, options={"start_time": datetime(2024, 6, 2, tzinfo=timezone.utc)},
                    note="examples/daily_etl, a normal day, with the example's handlers")


def _example_handlers() -> ModuleType:
    """``examples/daily_etl/handlers`` under a name of its own (a bare ``handlers`` could clash)."""
    name = "_sfnsim_bench_daily_etl_handlers"
    if name not in sys.modules:
        package = DAILY_ETL / "handlers"
        spec = importlib.util.spec_from_file_location(name, package / "__init__.py",
                                                      submodule_search_locations=[str(package)])
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def task_map(size: int, *, clock_reading: bool = False) -> Workload:
    """A Map over ``size`` items, each running a chain of five Lambda Tasks answered by Python handlers
    (with ``clock_reading``, the last one stamps its result with ``time.time()``, which sfnsim answers
    from the virtual clock: every handler call then runs under the frozen clock)."""
    steps = ["Fetch", "Parse", "Enrich", "Score", "Store"]
    states: dict[str, Any] = {}
    for name, following in zip(steps, steps[1:] + [None]):
        state: dict[str, Any] = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                 "Parameters": {"FunctionName": LAMBDA_ARN.format(name.lower()), "Payload.$": "$"},
                                 "ResultSelector": {"value.$": "$.Payload"}, "OutputPath": "$.value"}
        states[name] = {**state, "Next": following} if following else {**state, "End": True}
    definition = {"StartAt": "EachRecord", "States": {"EachRecord": {
        "Type": "Map", "ItemsPath": "$.records", "MaxConcurrency": 40,
        "ItemProcessor": {"StartAt": steps[0], "States": states}, "End": True}}}

    def handlers() -> dict[str, Any]:
        plain = {"Fetch": lambda e: {"id": e, "raw": f"record-{e}"}, "Parse": lambda e: {**e, "parsed": True},
                 "Enrich": lambda e: {**e, "region": "eu"}, "Score": lambda e: {**e, "score": e["id"] % 7},
                 "Store": lambda e: {"id": e["id"], "score": e["score"]}}
        return {name: _stamped(handler) for name, handler in plain.items()} if clock_reading else plain

    stamp = {"at": START_EPOCH} if clock_reading else {}
    expected = [{"id": i, "score": i % 7, **stamp} for i in range(size)]
    kind = "each reads the virtual clock" if clock_reading else "none can read the clock"
    return Workload(definition, {"records": list(range(size))}, transitions=1 + 5 * size, handlers=handlers,
                    expect=_equals(expected), options={"machine_type": "EXPRESS"},
                    note=f"5 Lambda Tasks per item, Python handlers ({kind}); {EXPRESS_NOTE}")


def _stamped(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``handler`` whose result is stamped with ``time.time()``: a handler that reads the clock."""
    def stamped(event: Any) -> Any:
        result = handler(event)
        return {**result, "at": time.time()}

    return stamped


START_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()  # sfnsim's default start time


def clock_task_map(size: int) -> Workload:
    return task_map(size, clock_reading=True)


def distributed_s3_map(size: int) -> Workload:
    """A Distributed Map reading ``size`` CSV rows from S3, batched by 100, results written to S3."""
    rows = "\n".join(["id,amount", *(f"{i},{i % 97}" for i in range(size))])
    definition = {"StartAt": "EachBatch", "States": {"EachBatch": {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": "lake", "Key": "orders.csv"}},
        "ItemBatcher": {"MaxItemsPerBatch": 100},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "Count", "States": {"Count": {
                              "Type": "Pass", "Parameters": {"rows.$": "States.ArrayLength($.Items)"}, "End": True}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "lake", "Prefix": "results"}},
        "End": True}}}
    batches = -(-size // 100)

    def expect(output: Any) -> str | None:
        written = output.get("ResultWriterDetails") if isinstance(output, dict) else None
        return None if written else f"no ResultWriterDetails in the output: {_short(output)}"

    return Workload(definition, {}, transitions=1, expect=expect,
                    options={"s3_objects": {("lake", "orders.csv"): rows}},
                    note=f"{size:,} CSV rows in {batches:,} batches; child executions have their own histories")


def chain_for_loading(size: int) -> Workload:
    return pass_chain(size)


def _equals(expected: Any) -> Callable[[Any], str | None]:
    def check(output: Any) -> str | None:
        return None if output == expected else f"unexpected output: {_short(output)}"
    return check


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


REAL_SLEEPS = "not comparable: moto sleeps for real"
PYTHON_HANDLERS = "not comparable: Python handlers"
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("pass_chain", "chain of 1,000 Pass states", pass_chain, 1000, 10, tags=frozenset({"profile"})),
    Scenario("choice_loop", "Choice loop, 2,000 iterations counting with States.MathAdd", choice_loop, 2000, 5),
    Scenario("map_1k", "inline Map over 1,000 items, Pass with States.Format", inline_map, 1000, 10),
    Scenario("parallel_20x20", "Parallel of 20 branches × 20 Pass states", parallel_grid, 20, 3),
    Scenario("wait_days", "50 Wait states of one day each", wait_days, 50, 3, moto=REAL_SLEEPS,
             node="not comparable: the peer sleeps for real"),
    Scenario("retry_backoff", "Task fails twice then succeeds, with back-off", retry_backoff, 1, 1,
             moto=REAL_SLEEPS + " (and needs a Lambda)", node=PYTHON_HANDLERS),
    Scenario("map_10k", "inline Map over 10,000 items (Express)", express_inline_map, 10_000, 20,
             tags=frozenset({"profile"})),
    Scenario("example_pipeline", "the daily ETL example with its handlers and mocks", example_pipeline, 1, 1,
             moto=REAL_SLEEPS + " (Wait states) and needs Lambdas", node=PYTHON_HANDLERS),
    Scenario("pass_chain_10k", "chain of 10,000 Pass states", pass_chain, 10_000, 20),
    Scenario("map_tasks_1k", "inline Map over 1,000 items, each a chain of 5 Lambda Tasks (Python handlers)",
             task_map, 1000, 5, moto="not comparable: needs Lambdas", node=PYTHON_HANDLERS),
    Scenario("map_tasks_clock_1k", "map_tasks_1k with handlers that read the clock (every call under the frozen clock)",
             clock_task_map, 1000, 5, moto="not comparable: needs Lambdas", node=PYTHON_HANDLERS),
    Scenario("load_1k", "loading (parse, validate, compile) a 1,000-state chain", chain_for_loading, 1000, 100,
             compile_only=True),
    Scenario("load_10k", "loading a 10,000-state chain", chain_for_loading, 10_000, 1000, compile_only=True),
    Scenario("load_100k", "loading a 100,000-state chain", chain_for_loading, 100_000, 2000, compile_only=True),
    Scenario("dmap_s3_100k", "Distributed Map over 100,000 S3 CSV rows (ItemReader, ItemBatcher, ResultWriter)",
             distributed_s3_map, 100_000, 500, moto="not comparable: needs S3",
             node="not comparable: the peer has no ItemReader", tags=frozenset({"memory"})),
)
# Measured as a whole process by the runner, not as an in-process workload.
STARTUP = "cli_startup"
SCENARIO_NAMES = tuple(s.name for s in SCENARIOS) + (STARTUP,)


def by_name(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(name)
