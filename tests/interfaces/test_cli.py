"""The ``sfnsim`` command line: run and validate through click's runner and as real processes;
exit codes (0 ok, 1 failed, 2 bad input, 3 internal error) and messages without tracebacks.

Expected values come from the AWS documentation's semantics (retry intervals, Wait, Choice, the
context object's formats) applied to the fixtures, and from AWS-recorded validation verdicts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_runner import invoke
from click.testing import CliRunner, Result
from corpus import jsonl_records

import sfnsim.cli
from sfnsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "cli"
ORDERS = FIXTURES / "orders.asl.json"
HANDLERS = f"{FIXTURES / 'order_handlers.py'}:HANDLERS"
ORDER = json.loads((FIXTURES / "order.json").read_text())




def run_orders(*extra: Any, order: Any = ORDER) -> Result:
    return invoke("run", ORDERS, "--handlers", HANDLERS, "--input", json.dumps(order), *extra)


def assert_clean_error(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# ---------------------------------------------------------------- run: people


def test_run_prints_the_path_with_virtual_times_retries_and_output() -> None:
    result = run_orders()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Execution SUCCEEDED after 1h 0m 6s of virtual time"

    def row(state: str) -> list[str]:
        [line] = [ln for ln in lines if f" {state} " in ln]
        return line.split()

    # Charge fails twice with PaymentServiceBusy; Retry waits IntervalSeconds=2, then 2*BackoffRate=4.
    assert row("Charge")[:5] == ["+0s", "Charge", "Task", "6s", "ok"]
    attempts = [ln.split() for ln in lines if "attempt " in ln]
    assert [(a[0], a[3], a[4]) for a in attempts] == [
        ("+0s", "1", "failed:"), ("+2s", "2", "failed:"), ("+6s", "3", "succeeded")]
    assert "PaymentServiceBusy — Try again later" in lines[lines.index(next(ln for ln in lines if "attempt 1" in ln))]
    # The Wait state takes its 3600 s; the Map runs one PackItem per item.
    assert row("WaitForWarehouse")[:4] == ["+6s", "WaitForWarehouse", "Wait", "1h"]
    assert row("IsValid")[-2:] == ["→", "Charge"]
    packs = [ln.split() for ln in lines if "PackItem" in ln]
    assert [(p[0:3], p[3]) for p in packs] == [(["+1h", "0m", "6s"], f"[{i}]") for i in range(3)]
    assert row("Notify")[-2:] == ["2", "branches"]
    output = json.loads(result.stdout.split("Output:\n", 1)[1])
    assert output["payment"] == {"chargeId": "ch_o-1001"}
    assert output["parcels"] == [{"sku": s, "parcel": f"parcel-{s}"} for s in ("apple", "pear", "fig")]
    assert output["notifications"] == ["email sent", "sms sent"]


def test_a_failed_execution_exits_1_and_still_shows_the_path_and_error() -> None:
    result = run_orders(order={"orderId": "o-2", "total": 1, "items": []})
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("Execution FAILED")
    [rejected] = [ln for ln in result.stdout.splitlines() if " Rejected " in ln]
    assert "failed: OrderRejected — The order has no items" in rejected
    assert "Error: OrderRejected" in result.stdout
    assert "Cause:\nThe order has no items" in result.stdout


# ---------------------------------------------------------------- run: machines


def test_run_json_has_status_output_path_steps_and_the_aws_history() -> None:
    result = run_orders("--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "SUCCEEDED" and data["error"] is None and data["cause"] is None
    assert data["path"] == ["Validate", "IsValid", "Charge", "WaitForWarehouse", "Pack",
                            "PackItem", "PackItem", "PackItem", "Notify", "Email", "Sms", "Done"]
    charge = next(s for s in data["steps"] if s["state"] == "Charge")
    assert [a["outcome"] for a in charge["attempts"]] == ["failed", "failed", "succeeded"]
    assert [a["at"] for a in charge["attempts"]] == [0, 2, 6]
    assert charge["attempts"][0]["error"] == "PaymentServiceBusy"
    pack = next(s for s in data["steps"] if s["state"] == "Pack")
    assert [(c["iteration"], c["state"]) for c in pack["children"]] == [(0, "PackItem"), (1, "PackItem"), (2, "PackItem")]
    assert data["seconds"] == 3606
    events = data["history"]["events"]
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == ORDER  # JSON text, as AWS prints it


def test_run_json_for_a_failure() -> None:
    result = run_orders("--json", order={"orderId": "o-3", "total": 1, "items": []})
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["status"], data["error"], data["cause"]) == ("FAILED", "OrderRejected", "The order has no items")
    assert data["steps"][-1] == {**data["steps"][-1], "state": "Rejected", "status": "failed"}


def test_history_out_writes_what_get_execution_history_prints(tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    result = run_orders("--history-out", out, "--start-time", "2024-05-01T12:00:00Z")
    assert result.exit_code == 0
    events = json.loads(out.read_text())["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["timestamp"].startswith("2024-05-01T12:00:00")
    scheduled = [e for e in events if e["type"] == "TaskScheduled"]
    assert json.loads(scheduled[0]["taskScheduledEventDetails"]["parameters"]) == {
        "FunctionName": "validate-order", "Payload": ORDER}
    wait_exit = next(e for e in events if e["type"] == "WaitStateExited")
    assert wait_exit["timestamp"].startswith("2024-05-01T13:00:06")


def test_start_time_and_seed_reach_the_context_object_and_intrinsics(tmp_path: Path) -> None:
    definition = write(tmp_path, "ctx.asl.json", {"StartAt": "P", "States": {"P": {
        "Type": "Pass", "End": True,
        "Parameters": {"start.$": "$$.Execution.StartTime", "id.$": "States.UUID()"}}}})

    def output(*extra: str) -> dict:
        result = invoke("run", definition, "--json", "--input", "{}", *extra)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["output"]

    first = output("--start-time", "2024-05-01T12:00:00+02:00", "--seed", "7")
    assert first["start"] == "2024-05-01T10:00:00.000Z"  # AWS's format: UTC, milliseconds, Z
    assert output("--start-time", "2024-05-01T10:00:00Z", "--seed", "7") == first
    assert output("--seed", "8")["id"] != first["id"]


def test_input_from_stdin_and_from_a_file(tmp_path: Path) -> None:
    echo = write(tmp_path, "echo.asl.json", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    piped = invoke("run", echo, "--json", input='{"via": "stdin"}')
    assert json.loads(piped.stdout)["output"] == {"via": "stdin"}
    dash = invoke("run", echo, "--json", "--input-file", "-", input='[1, 2]')
    assert json.loads(dash.stdout)["output"] == [1, 2]
    file = write(tmp_path, "input.json", '{"via": "file"}')
    assert json.loads(invoke("run", echo, "--json", "--input-file", file).stdout)["output"] == {"via": "file"}
    assert json.loads(invoke("run", echo, "--json").stdout)["output"] == {}  # nothing piped: {}


def test_mock_config_and_test_case_pass_through() -> None:
    mocks = ROOT / "fixtures" / "mock_config"
    result = invoke("run", mocks / "LambdaSQSIntegration.asl.json", "--mock-config", mocks / "MockConfigFile.json",
                    "--test-case", "RetryPath", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [lambda_state] = [s for s in data["steps"] if s["state"] == "LambdaState"]
    # RetryPath throws on invocations 0, 1 and 2 and returns on 3 (the file's "0", "1-2", "3").
    assert [a["outcome"] for a in lambda_state["attempts"]] == ["failed", "failed", "failed", "succeeded"]
    assert data["output"]["MessageId"] == "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def test_a_callback_nobody_answers_leaves_the_execution_running(tmp_path: Path) -> None:
    definition = write(tmp_path, "cb.asl.json", {"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}}}})
    handlers = write(tmp_path, "pending.py", "import sfnsim.tasks.outcomes as o\nH = {'Wait': lambda p: o.PENDING}\n")
    result = invoke("run", definition, "--handlers", f"{handlers}:H", "--input", "{}")
    assert result.exit_code == 1
    assert "Execution RUNNING" in result.stdout and "waiting on task token" in result.stdout


# ---------------------------------------------------------------- run: bad input


def test_malformed_input_json_exits_2_with_where() -> None:
    result = invoke("run", ORDERS, "--input", '{"orderId": }')
    assert_clean_error(result, 2, "--input is not valid JSON", "line 1, column 13")


def test_invalid_definition_exits_2_with_file_line_column_and_pointer(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.asl.json", '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "Next": "B"}\n  }\n}\n')
    result = invoke("run", bad, "--input", "{}")
    assert_clean_error(result, 2, f"{bad}:4:", "(at /States/A/Next)", "'B'")


@pytest.mark.parametrize(("spec", "fragment"), [
    ("no_such_module_xyz:HANDLERS", "could not import 'no_such_module_xyz'"),
    ("HANDLERS", "expected MODULE:ATTR"),
    (f"{FIXTURES / 'order_handlers.py'}:NOPE", "has no attribute 'NOPE'"),
    (f"{FIXTURES / 'order_handlers.py'}:validate_order", "expected a dict"),
    (f"{FIXTURES / 'missing.py'}:H", "no such file"),
])
def test_bad_handlers_exit_2(spec: str, fragment: str) -> None:
    assert_clean_error(invoke("run", ORDERS, "--input", "{}", "--handlers", spec), 2, fragment)


def test_a_handler_module_that_raises_on_import_is_reported(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.py", "raise RuntimeError('no database here')\n")
    assert_clean_error(invoke("run", ORDERS, "--handlers", f"{broken}:H"), 2, "RuntimeError: no database here")


def test_a_task_without_handler_exits_2_and_says_how_to_give_one() -> None:
    result = invoke("run", ORDERS, "--input", json.dumps(ORDER))
    assert_clean_error(result, 2, "Task state 'Validate'", "has no handler", "--handlers MODULE:ATTR")


@pytest.mark.parametrize(("arguments", "fragment"), [
    (["--input", "{}", "--input-file", "x.json"], "not both"),
    (["--input-file", "no-such-input.json"], "cannot read it"),
    (["--test-case", "HappyPath"], "--mock-config and --test-case go together"),
    (["--start-time", "tuesday"], "not an ISO-8601 time"),
])
def test_bad_options_exit_2(arguments: list[str], fragment: str) -> None:
    assert_clean_error(invoke("run", ORDERS, *arguments), 2, fragment)


def test_missing_definition_file_exits_2() -> None:
    assert_clean_error(invoke("run", "no-such.asl.json"), 2, "no-such.asl.json")


def test_an_internal_error_exits_3_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> None:
        raise KeyError("boom")

    monkeypatch.delenv("SFNSIM_DEBUG", raising=False)
    monkeypatch.setattr(sfnsim.cli, "load_machine", broken)
    result = invoke("run", ORDERS, "--input", "{}")
    assert_clean_error(result, 3, "internal error in sfnsim: KeyError", "bug in sfnsim")


# ---------------------------------------------------------------- validate


def test_validate_reports_every_problem_in_every_file(tmp_path: Path) -> None:
    bad_json = write(tmp_path, "bad.asl.json", (
        '{\n  "StartAt": "First",\n  "States": {\n    "First": {"Type": "Pass", "Next": "Nowhere"},\n'
        '    "Second": {"Type": "Pass", "ResultPath": "$$.x", "End": true}\n  }\n}\n'))
    bad_yaml = write(tmp_path, "bad.asl.yaml", "StartAt: A\nStates:\n  A:\n    Type: Wait\n    End: true\n")
    result = invoke("validate", ORDERS, bad_json, bad_yaml)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{ORDERS}: valid" in lines
    assert any(ln.startswith(f"{bad_json}:4:") and ln.endswith("(at /States/First/Next)") for ln in lines)
    assert any(ln.startswith(f"{bad_json}:5:") and "(at /States/Second" in ln for ln in lines)
    assert any(ln.startswith(f"{bad_yaml}:4:5: ") and ln.endswith("(at /States/A)") for ln in lines)
    assert lines[-1].startswith("3 files checked: 1 valid, 2 invalid")


def test_validate_json_and_exit_codes(tmp_path: Path) -> None:
    ok = invoke("validate", ORDERS, "--json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"valid": True, "files": [{"file": str(ORDERS), "valid": True, "problems": []}]}
    missing = invoke("validate", ORDERS, tmp_path / "gone.json", "--json")
    assert missing.exit_code == 2
    files = json.loads(missing.stdout)["files"]
    assert files[1]["valid"] is False and files[1]["error"] == "no such file"


def _aws_verdicts() -> list[dict]:
    rows = list(jsonl_records("corpora", "validation.jsonl"))
    return [r for r in rows if r["verdict_source"].startswith("AWS response recorded") and r["definition"] is not None]


def test_validate_agrees_with_aws_recorded_verdicts_and_locations(tmp_path: Path) -> None:
    verdicts = _aws_verdicts()
    assert len(verdicts) >= 10
    for number, record in enumerate(verdicts):
        path = write(tmp_path, f"case{number}.asl.json", record["raw"])
        options = ["--type", record["state_machine_type"]] if record.get("state_machine_type") else []
        result = invoke("validate", path, *options)
        assert result.exit_code == (0 if record["valid"] else 1), (record["id"], result.stdout)
        for expected in record["expected_errors"]:
            if " at /" in expected:  # AWS: "SCHEMA_VALIDATION_FAILED: ... at /States/X/Resource"
                pointer = expected.rsplit(" at ", 1)[1].strip()
                assert f"(at {pointer})" in result.stdout, (record["id"], result.stdout)


def test_pre_commit_hook_runs_validate() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "sfnsim-validate" and hook["language"] == "python"
    program, command = hook["entry"].split()
    assert program == "sfnsim" and command in main.commands
    assert hook["files"] and (hook.get("pass_filenames", True) is True)


# ---------------------------------------------------------------- the program itself


def test_help_lists_every_command_without_importing_them() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1].splitlines()
    listed = {line.split()[0] for line in commands if line.startswith("  ") and not line.startswith("   ")}
    assert listed == {"run", "validate", "graph", "replay", "conformance", "walk", "learn", "serve", "coverage"}
    assert invoke("conformance", "--help").exit_code == 0


def test_a_lazy_command_that_cannot_load_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sfnsim.cli.LAZY_COMMANDS, "ghost", ("sfnsim.no_such_module", "command", "A missing command."))
    assert "ghost" in invoke("--help").stdout
    assert_clean_error(invoke("ghost", "x"), 2, "the ghost command is not available", "ModuleNotFoundError")
    assert invoke("run", "--help").exit_code == 0  # the other commands are unaffected


def test_a_timed_out_execution_says_so(tmp_path: Path) -> None:
    definition = write(tmp_path, "slow.asl.json", {"StartAt": "W", "TimeoutSeconds": 5,
                                                   "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    result = invoke("run", definition, "--input", "{}")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Execution TIMED_OUT after 5s of virtual time"
    assert lines[3].split()[:4] == ["+0s", "W", "Wait", "5s"]  # cut short at TimeoutSeconds
    data = json.loads(invoke("run", definition, "--input", "{}", "--json").stdout)
    assert (data["status"], data["error"], data["seconds"]) == ("TIMED_OUT", None, 5)


def test_importing_the_cli_loads_no_heavy_module() -> None:
    code = ("import sys, sfnsim.cli; heavy = [m for m in ('rich', 'pydantic', 'jlens', 'yaml', 'sfnsim.asl') "
            "if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_importing_sfnsim_loads_nothing_until_a_name_is_used() -> None:
    # A pytest session that never uses sfnsim still imports it (the plugin): it must cost nothing.
    code = ("import sys, sfnsim; print([m for m in sys.modules if m.startswith('sfnsim.')]); "
            "from sfnsim import *; import sfnsim.errors as e; "
            "print(StatesError is e.StatesError, set(sfnsim.__all__) <= set(dir(sfnsim)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:2] == ["[]", "True True"], done.stderr


# What running a plain JSON definition must not import: each is only for some definitions or outputs
# (YAML text, templates, Distributed Map, AWS backends; pydantic only for a definition whose shape
# sfnsim.asl.shape cannot vouch for; rich only for a terminal or text it would change).
NOT_FOR_A_PLAIN_RUN = ("pydantic", "sfnsim.asl.models", "importlib.metadata", "rich", "yaml", "jsonpath_ng", "hashlib", "decimal", "sfnsim.asl.yaml_reader", "sfnsim.asl.cloudformation", "sfnsim.asl.terraform",
                       "sfnsim.engine.states.map_distributed", "sfnsim.engine.item_reader",
                       "sfnsim.tasks.aws_backend")


def test_running_a_plain_json_definition_imports_only_what_it_uses() -> None:
    hello = ROOT / "fixtures" / "examples"
    code = ("import sys\nfrom sfnsim.cli import main\ntry:\n    main(sys.argv[1:])\nfinally:\n"
            f"    print([m for m in {NOT_FOR_A_PLAIN_RUN!r} if m in sys.modules], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, "run", str(hello / "hello.asl.json"),
                           "--input-file", str(hello / "hello.input.json")],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Execution SUCCEEDED")
    assert done.stderr.strip() == "[]"


def test_run_and_validate_as_real_processes(tmp_path: Path) -> None:
    history = tmp_path / "h.json"
    command = [sys.executable, "-m", "sfnsim.cli", "run", str(ORDERS), "--handlers", HANDLERS,
               "--input-file", str(FIXTURES / "order.json"), "--history-out", str(history)]
    # How fast it starts is measured in benchmarks/ (cli_startup), not asserted here.
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Execution SUCCEEDED") and history.is_file()
    failed = subprocess.run([*command[:7], "--input", '{"items": []}'], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    assert failed.returncode == 1 and "OrderRejected" in failed.stdout
    bad = write(tmp_path, "bad.asl.json", '{"StartAt": "A", "States": {}}')
    validated = subprocess.run([sys.executable, "-m", "sfnsim.cli", "validate", str(bad)],
                               capture_output=True, text=True, timeout=60)
    assert validated.returncode == 1 and f"{bad}:1:" in validated.stdout
    assert "Traceback" not in validated.stderr


def test_docs_cover_every_command() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text()
    for command in main.list_commands(None):  # type: ignore[arg-type]
        assert f"sfnsim {command}" in docs, command


def test_run_report_writes_a_self_contained_html_page(tmp_path: Path) -> None:
    report = tmp_path / "run.html"
    machine = tmp_path / "m.asl.json"
    machine.write_text(json.dumps({"StartAt": "Tag", "States": {
        "Tag": {"Type": "Pass", "Result": "<script>alert(1)</script>", "ResultPath": "$.tag", "End": True}}}))
    result = CliRunner().invoke(sfnsim.cli.main, ["run", str(machine), "--input", "{}", "--report", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    assert "Tag" in page and "afterResultPath" in page
    assert "<script>alert(1)</script>" not in page  # payload text is escaped
    # Nothing is fetched: no scripts, styles or images from elsewhere (the SVG namespace is only a name).
    assert not re.search(r'(src|href)="https?://', page)
