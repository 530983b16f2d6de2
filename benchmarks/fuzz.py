"""Fuzz sfnsim with mutated definitions, hostile inputs and misbehaving handlers; print counts.

    python benchmarks/fuzz.py                     # 10,000 cases, seed 0
    python benchmarks/fuzz.py --cases 50000 --seed 7 --timeout 10 --show 5

Seeds are the AWS-recorded conformance corpus (../shared/conformance/cases.jsonl) when it is next
to the repository, plus the definitions under fixtures/. Each case mutates one seed (replaces,
removes or renames values, nests deeply, swaps in hostile text and numbers), loads it (as a dict,
as JSON text or as YAML text), and when it loads runs it with handlers that return, raise or
misbehave, on an input that may itself be hostile.

Every case must end in one of sfnsim's promises: the definition is refused with a DefinitionError,
the run ends with an AWS status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or RUNNING when waiting on
a callback), or a named SfnSimError says what the caller did wrong. Anything else is counted as an
*internal error*; a case that runs past --timeout wall-clock seconds is counted as a *hang*. The
exit code is 1 when there was either.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import random
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "conformance" / "cases.jsonl"
sys.path.insert(0, str(ROOT / "src"))

from sfnsim import StateMachine, TaskFailed  # noqa: E402
from sfnsim.errors import SfnSimError  # noqa: E402

PLACEHOLDER = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "RUNNING"}
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:fuzz"


class Hang(BaseException):
    """Raised by the alarm: the case ran past its wall-clock budget (BaseException: nothing catches it)."""


# ---------------------------------------------------------------------------------------------- seeds


def seeds() -> list[tuple[dict[str, Any], Any]]:
    found: list[tuple[dict[str, Any], Any]] = []
    if CORPUS.exists():
        for line in CORPUS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                if isinstance(case.get("definition"), dict):
                    found.append((case["definition"], case.get("input", {})))
    for path in sorted((ROOT / "fixtures").rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "States" in data:
            found.append((data, {}))
    found.append(({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}, {}))
    return found


# ------------------------------------------------------------------------------------------ hostility


def deep(levels: int, rng: random.Random) -> Any:
    value: Any = rng.choice([0, "x", None])
    for _ in range(levels):
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


def hostile_value(rng: random.Random) -> Any:
    """A value that is legal JSON but unkind: odd types, extreme numbers, odd text, deep nesting."""
    pick = rng.randrange(22)
    return [
        lambda: None, lambda: True, lambda: 1.5, lambda: -1, lambda: 0, lambda: 10 ** 30, lambda: 1e308,
        lambda: -1e18, lambda: "", lambda: "\u0000\u202e", lambda: "$", lambda: "$.", lambda: "$$.Execution",
        lambda: "{% $x.y( %}", lambda: "{% $sum([1..100000000]) %}", lambda: "States.Format('{}{}', 1)",
        lambda: {"x": 1}, lambda: [1, 2], lambda: [], lambda: {},
        lambda: deep(rng.choice([50, 600, 3000]), rng),
        lambda: "9999-12-31T23:59:59-14:00",
    ][pick]()


_JSONATA_TOKENS = ["$states.input", "$states.context", "$x", "$", ".", "[", "]", "(", ")", "{", "}", ":", ",",
                   "1", "-1", "1e308", '"a"', "&", "+", "*", "/", "%", "..", "?", ";", ":=", "function($a){$a}",
                   "$string", "$number", "$sum", "$count", "$keys", "$merge", "$eval", "$random()", "$millis()",
                   "$now()", "$parse", "$uuid()", "$partition", "$hash", "$range", "~>", "=", "!=", "and", "null"]


def random_expression(rng: random.Random) -> str:
    return "{% " + " ".join(rng.choice(_JSONATA_TOKENS) for _ in range(rng.randrange(1, 9))) + " %}"


def edge_value(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return rng.choice([0, 1, 99999999, 2 ** 31, 10 ** 18])
    if isinstance(value, str):
        if value.startswith("{%"):
            if rng.random() < 0.5:
                return random_expression(rng)
            return rng.choice(["{% $x %}", "{% $states.input.$ %}", "{% ($f := function($n){ $f($n+1) }; $f(0)) %}",
                               "{% [1..10000000] %}", "{% $millis() %}", "{% $string($states.input) %}"])
        if value.startswith("$"):
            return rng.choice(["$", "$.x", "$$.Execution.Input", "$.items[0]", "$..x", "$.seconds"])
        return value + rng.choice(["", "\u0000", "\ud7ff", " "])
    return value


def hostile_input(rng: random.Random) -> Any:
    pick = rng.randrange(8)
    if pick == 0:
        return deep(rng.choice([100, 499, 700, 5000]), rng)
    if pick == 1:
        return {"x": "\ud800"}
    if pick == 2:
        return {"n": 10 ** rng.choice([10, 4400])}
    if pick == 3:
        return {"seconds": rng.choice([1e18, -1, 99999999, 1.5, "5"]), "when": "9999-12-31T23:59:59-14:00"}
    if pick == 4:
        return list(range(rng.choice([10, 3000])))
    return {"items": [1, 2, 3], "x": rng.random(), "s": "text"}


def nodes(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        yield where, item
        if isinstance(item, dict):
            stack.extend((where + (key,), child) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((where + (index,), child) for index, child in enumerate(item))


def mutate(definition: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):  # a third run the definition as it is
        places = [p for p, _ in nodes(result) if p]
        if not places:
            break
        path = rng.choice(places)
        parent: Any = result
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.randrange(7)
        if action == 6:  # keep the type, push the value to its edge: often still a valid definition
            parent[last] = edge_value(parent[last], rng)
        elif action <= 2:
            parent[last] = hostile_value(rng)
        elif action == 3:
            if isinstance(parent, dict):
                del parent[last]
            else:
                parent.pop(last)
        elif action == 4 and isinstance(parent, dict) and isinstance(last, str):
            parent[rng.choice([last.lower(), last.upper(), "_" + last])] = parent.pop(last)
        else:  # a loop back to the start, a new Type, or a huge retry budget
            if isinstance(parent, dict) and "Type" in parent:
                parent["Type"] = rng.choice(["Pass", "Wait", "Choice", "Map", "Parallel", "Task", "Bogus"])
            elif isinstance(parent, dict):
                start = result.get("StartAt")
                parent["Next"] = start if isinstance(start, str) else "Nowhere"
                parent.pop("End", None)
    return result


# ------------------------------------------------------------------------------------------ handlers


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


def misbehaving_handler(rng: random.Random) -> Callable[..., Any]:
    """A handler that answers, fails on purpose, has a bug, or gets the contract wrong."""
    from sfnsim import PENDING, TaskResponse

    def raises(exc: BaseException) -> Callable[[Any], Any]:
        def handler(payload: Any) -> Any:
            raise exc
        return handler

    choices: list[Callable[..., Any]] = [
        lambda payload: {1, 2}, lambda payload: float("nan"), lambda payload: 10 ** 5000,
        lambda payload: b"bytes", lambda payload: (row for row in [1]), lambda payload: {"deep": deep(400, rng)},
        lambda payload: {"big": "x" * 300_000}, lambda payload: PENDING,
        lambda payload: TaskResponse(value=payload, duration=rng.choice([-1, float("inf"), float("nan"), 1e18, 5])),
        lambda payload: TaskResponse(error=rng.choice([None, "Custom", 5]), cause=rng.choice([None, "why", {"x": 1}])),
        raises(TaskFailed("Fuzz.Failure", "on purpose")), raises(TaskFailed(None)),  # type: ignore[arg-type]
        raises(KeyError("missing")), raises(_Unprintable()), raises(RecursionError("deep")),
        lambda: None,  # a wrong signature
    ]
    if rng.random() < 0.5:
        return lambda payload: payload
    return rng.choice(choices)


def task_names(definition: Any) -> set[str]:
    names = set()
    for _, node in nodes(definition):
        if isinstance(node, dict) and isinstance(node.get("States"), dict):
            names.update(k for k, v in node["States"].items() if isinstance(v, dict) and v.get("Type") == "Task")
    return names


# ------------------------------------------------------------------------------------------ one case


def as_text(definition: dict[str, Any], form: int) -> str | None:
    """The definition as JSON (form 1) or YAML (form 2) text, or None to pass the dict itself.
    Text the fuzzer's own serialisers cannot write (nested too deep for them) is passed as a dict."""
    try:
        if form == 1:
            return json.dumps(definition)
        if form == 2:
            import yaml

            return yaml.safe_dump(definition, allow_unicode=True)
    except RecursionError:
        pass
    return None



def run_cli_case(definition: dict[str, Any], text: str, execution_input: Any, rng: random.Random) -> str:
    """The same through the command line: exit 0/1/2 are promises kept, 3 is an internal error."""
    import tempfile

    from click.testing import CliRunner

    from sfnsim.cli import main as cli

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.asl.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            input_text = json.dumps(execution_input)
        except (RecursionError, ValueError):
            input_text = "[" * 5000 + "]" * 5000
        command = rng.choice([["validate", str(path)], ["graph", str(path)],
                              ["run", str(path), "--input", input_text, "--json"]])
        result = CliRunner().invoke(cli, command)
    if result.exit_code == 3 or (result.exception and not isinstance(result.exception, SystemExit)):
        raise AssertionError(f"sfnsim {command[0]} exited {result.exit_code}: {result.output[-500:]}")
    return f"cli:{command[0]}:{result.exit_code}"


def run_case(seed_definition: dict[str, Any], seed_input: Any, rng: random.Random) -> str:
    """The outcome's kind: "invalid", a status, "named:<Error>", or "internal:<Error>"."""
    definition = mutate(seed_definition, rng)
    if rng.random() < 0.05:  # one case in twenty goes through the command line
        text = as_text(definition, 1) or json.dumps(PLACEHOLDER)
        return run_cli_case(definition, text, hostile_input(rng) if rng.random() < 0.5 else seed_input, rng)
    text = as_text(definition, rng.randrange(3))
    try:
        machine = StateMachine.from_dict(definition) if text is None else StateMachine.from_json(text)
    except SfnSimError as exc:
        return "invalid" if type(exc).__name__ == "DefinitionError" else f"named:{type(exc).__name__}"
    handlers = {name: misbehaving_handler(rng) for name in task_names(definition)}
    execution_input = hostile_input(rng) if rng.random() < 0.4 else copy.deepcopy(seed_input)
    try:
        execution = machine.run(execution_input, handlers=handlers, seed=rng.randrange(1000))
    except SfnSimError as exc:
        return f"named:{type(exc).__name__}"
    status = execution.status
    if status not in STATUSES:
        raise AssertionError(f"unknown status {status!r}")
    if status == "FAILED" and not (execution.error is None or isinstance(execution.error, str)):
        raise AssertionError(f"error is {execution.error!r}")
    json.dumps(execution.to_aws_history(), allow_nan=False)  # what get-execution-history would print
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="wall-clock seconds before a case is a hang")
    parser.add_argument("--show", type=int, default=3, help="internal errors to print in full")
    parser.add_argument("--only", type=int, default=None, metavar="N",
                        help="run case N alone (same seed), printing its definition: to reproduce a failure")
    args = parser.parse_args(argv)

    pool = seeds()
    rng = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    durations: list[tuple[float, int]] = []

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang()

    signal.signal(signal.SIGALRM, on_alarm)
    started = time.perf_counter()
    for number in range(args.cases):
        seed_definition, seed_input = pool[rng.randrange(len(pool))]
        case_rng = random.Random(rng.getrandbits(64))
        if args.only is not None and number != args.only:
            continue
        if args.only is not None:
            preview = random.Random()
            preview.setstate(case_rng.getstate())
            print(json.dumps(mutate(seed_definition, preview))[:3000])
        begun = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        try:
            kind = run_case(seed_definition, seed_input, case_rng)
        except Hang:
            kind = "hang"
            failures.append(f"case {number}: hang (> {args.timeout} s)")
        except Exception as exc:  # noqa: BLE001 - counting exactly these is the point
            kind = "internal"
            counts[f"internal:{type(exc).__name__}"] += 1
            failures.append(f"case {number}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        durations.append((time.perf_counter() - begun, number))
        counts[kind.split(":")[0] if kind.startswith(("named:", "cli:")) else kind] += 1
        if kind.startswith(("named:", "cli:")):
            counts[kind] += 1

    total = time.perf_counter() - started
    slowest = ", ".join(f"{number} ({seconds:.2f} s)" for seconds, number in sorted(durations, reverse=True)[:5])
    print(f"{len(durations)} cases from {len(pool)} seeds (seed {args.seed}) in {total:.1f} s; slowest: {slowest}")
    for kind in ("invalid", *sorted(STATUSES), "named", "cli", "internal", "hang"):
        print(f"  {kind:<10} {counts.get(kind, 0)}")
    exits = sorted((k, v) for k, v in counts.items() if k.startswith("cli:"))
    if exits:
        print("  command line (command:exit code): " + ", ".join(f"{k[4:]} {v}" for k, v in exits))
    named = sorted((k, v) for k, v in counts.items() if k.startswith("named:"))
    if named:
        print("  named sfnsim errors: " + ", ".join(f"{k[6:]} {v}" for k, v in named))
    for failure in failures[:args.show]:
        print("\n" + failure)
    return 1 if counts.get("internal") or counts.get("hang") else 0


if __name__ == "__main__":
    sys.exit(main())
