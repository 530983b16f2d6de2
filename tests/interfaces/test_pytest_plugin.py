"""The pytest plugin, run the way a pipeline repository runs it: a fresh directory, no conftest.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import sfnsim
import sfnsim.asl.loading  # noqa: F401 - loaded out here: in-process pytester runs drop modules they import

pytest_plugins = ["pytester"]

PACKAGE_DIR = str(Path(sfnsim.__file__).resolve().parent)

ETL = """
{
  "StartAt": "Extract",
  "States": {
    "Extract": {"Type": "Pass", "Result": {"rows": 3}, "ResultPath": "$.extract", "Next": "Load"},
    "Load": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "load", "Payload.$": "$"},
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 2}],
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"}
  }
}
"""


def write_repo(pytester: pytest.Pytester, tests: str) -> None:
    (pytester.path / "statemachine").mkdir()
    (pytester.path / "statemachine" / "etl.asl.json").write_text(ETL)
    pytester.makepyfile(test_etl=textwrap.dedent(tests))


def test_five_lines_are_enough_to_start(pytester: pytest.Pytester):
    (pytester.path / "hello.asl.json").write_text(
        '{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "hi", "End": true}}}')
    pytester.makepyfile(test_hello="""
        def test_hello(sfn):
            sm = sfn.load("hello.asl.json")
            ex = sm.run({})
            ex.assert_succeeded(output="hi")
    """)
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_fixture_comes_from_the_entry_point(pytester: pytest.Pytester):
    pytester.makepyfile(test_x="def test_x(sfn):\n    pass\n")
    result = pytester.runpytest("-p", "no:sfnsim")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'sfn' not found*"])


def test_a_failing_path_assertion_reads_well_and_points_at_the_test(pytester: pytest.Pytester):
    write_repo(pytester, """
        from sfnsim import mock

        def test_load(sfn):
            sm = sfn.load("statemachine/etl.asl.json")
            load = mock.raises("Lambda.ServiceException", cause="Rate exceeded", times=1).then(
                raises="Lambda.Unknown", cause="out of memory")
            ex = sm.run({"day": "2024-06-01"}, handlers={"Load": load})
            ex.assert_path(["Extract", "Load", "Done"])
    """)
    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        ">       ex.assert_path([[]\"Extract\", \"Load\", \"Done\"[]])",
        "E       AssertionError: execution path differs from the expected one at step 3:",
        "E              expected  actual",
        "E            1  Extract   Extract",
        "E            2  Load      Load",
        "E         >  3  Done      (end)",
        "E       execution: FAILED",
        "E         error: Lambda.Unknown",
        "E         cause: out of memory",
        "E       failing state: 'Load' (Task), entered at event #4 (+0:00:00.000)",
        'E         input: {"day":"2024-06-01","extract":{"rows":3}}',
        "E         attempts: 2 (Lambda.ServiceException, Lambda.Unknown)",
        "E       history (events #*",
        "E         #7    +0:00:00.000  TaskFailed                 Load     error=Lambda.ServiceException cause=Rate exceeded",
        "E         #8    +0:00:02.000  TaskScheduled              Load     parameters=*",
        "E         #10   +0:00:02.000  TaskFailed                 Load     error=Lambda.Unknown cause=out of memory",
        "E         #11   +0:00:02.000  ExecutionFailed                     error=Lambda.Unknown cause=out of memory",
        "",
        "test_etl.py:8: AssertionError",
    ])
    assert PACKAGE_DIR not in result.stdout.str()


def test_state_assertions_read_well(pytester: pytest.Pytester):
    write_repo(pytester, """
        from sfnsim import mock

        def test_retried(sfn):
            ex = sfn.load("statemachine/etl.asl.json").run({}, handlers={"Load": mock.returns(1)})
            ex.state("Load").assert_retried(times=2)

        def test_not_entered(sfn):
            ex = sfn.load("statemachine/etl.asl.json").run({}, handlers={"Load": mock.returns(1)})
            ex.state("Done").assert_not_entered()

        def test_typo(sfn):
            ex = sfn.load("statemachine/etl.asl.json").run({}, handlers={"Load": mock.returns(1)})
            assert ex.state("Lod").input == {}
    """)
    result = pytester.runpytest()

    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "E       AssertionError: expected state 'Load' to be retried twice, but it was retried 0 times",
        "E       attempts:",
        "E         #1  +0:00:00.000  succeeded",
        "E       execution: SUCCEEDED, output: *",
        "test_etl.py:5: AssertionError",
        "E       AssertionError: expected state 'Done' not to be entered, but it was entered once",
        "test_etl.py:9: AssertionError",
        "E       AssertionError: the state machine has no state named 'Lod' (did you mean 'Load'?)",
        "E       its states: Extract, Load, Done",
        "test_etl.py:13: AssertionError",
    ])
    assert PACKAGE_DIR not in result.stdout.str()


def test_a_setup_mistake_is_reported_from_the_test_line(pytester: pytest.Pytester):
    write_repo(pytester, """
        def test_no_handler(sfn):
            sfn.load("statemachine/etl.asl.json").run({})
    """)
    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        ">       sfn.load(\"statemachine/etl.asl.json\").run({})",
        "E       sfnsim.errors.HandlerError: Task state 'Load' (resource 'arn:aws:states:::lambda:invoke') has no handler.",
        "test_etl.py:2: HandlerError",
    ])
    assert PACKAGE_DIR not in result.stdout.str()
    assert PACKAGE_DIR in pytester.runpytest("--full-trace").stdout.str()  # the frames are there when asked for


def test_load_looks_next_to_the_test_file_then_at_the_rootdir(pytester: pytest.Pytester):
    (pytester.path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (pytester.path / "machines").mkdir()
    (pytester.path / "machines" / "root.asl.yaml").write_text(
        "StartAt: Root\nStates:\n  Root:\n    Type: Pass\n    Result: from the rootdir\n    End: true\n")
    tests = pytester.path / "tests" / "pipelines"
    tests.mkdir(parents=True)
    (tests / "local.asl.json").write_text(
        '{"StartAt": "Local", "States": {"Local": {"Type": "Pass", "Result": "next to the test", "End": true}}}')
    (tests / "test_load.py").write_text(textwrap.dedent("""
        def test_next_to_the_test(sfn):
            sfn.load("local.asl.json").run({}).assert_succeeded(output="next to the test")

        def test_rootdir_and_yaml(sfn):
            sm = sfn.load("machines/root.asl.yaml")
            assert sm.name == "root"
            sm.run({}).assert_succeeded(output="from the rootdir")

        def test_missing(sfn):
            sfn.load("machines/nope.asl.json")

        def test_invalid(sfn):
            sfn.load({"StartAt": "Nowhere", "States": {}})
    """))
    result = pytester.runpytest()

    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "sfn.load('machines/nope.asl.json'): no such file; looked for:",
        f"  {tests / 'machines' / 'nope.asl.json'}",
        f"  {pytester.path / 'machines' / 'nope.asl.json'}",
        "sfn.load({...}): invalid state machine definition*",
    ])
    assert PACKAGE_DIR not in result.stdout.str()


def test_tests_stay_independent_under_xdist(pytester: pytest.Pytester):
    pytest.importorskip("xdist")
    write_repo(pytester, """
        import pytest
        from sfnsim import mock

        @pytest.mark.parametrize("rows", range(6))
        def test_each_run_is_its_own(sfn, rows):
            load = mock.returns({"rows": rows})
            ex = sfn.load("statemachine/etl.asl.json").run({}, handlers={"Load": load})
            ex.assert_succeeded()
            assert load.calls == [{"extract": {"rows": 3}}]
            assert ex.state("Load").output["Payload"] == {"rows": rows}
    """)
    pytester.runpytest("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=6)
