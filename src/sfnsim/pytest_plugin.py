"""pytest plugin, registered through the ``pytest11`` entry point: installing sfnsim is enough.

    def test_daily_load(sfn):
        sm = sfn.load("../statemachine/daily_etl.asl.json")
        ex = sm.run({"run_date": "2024-06-01"}, handlers={"Extract": extract.handler})
        ex.assert_succeeded()

* the ``sfn`` fixture loads state machines (and finds other files) relative to the test file,
  then to the rootdir;
* failures read as plain text: the executions' assertion helpers hide their own frames, and a
  ``SfnSimError`` raised while running (a missing handler, a broken mock) is reported from the
  test's line, without sfnsim's internals (``--full-trace`` shows them).

* ``sfn.use_aws("moto")`` sends this test's Tasks that no handler answers to an AWS API (moto is
  started now and stopped after the test, so the test's own boto3 calls see the same AWS);
  ``pytest --sfnsim-aws=SPEC`` does that for every test using the fixture (e.g. against LocalStack).

Nothing is kept between tests: each test gets its own fixture, machines and executions.

``--sfn-cov`` measures workflow coverage (which states, Choice rules, Catchers and Retriers the
suite exercised); see ``sfnsim.coverage.plugin`` and docs/testing.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import pytest

import sfnsim
from sfnsim.coverage import options as coverage_options
from sfnsim.errors import SfnSimError

# The engine is imported when a test first uses the fixture, so that a session that does not use
# sfnsim pays nothing for the plugin being installed.
if TYPE_CHECKING:
    from sfnsim.api import StateMachine

_PACKAGE_DIR = os.path.dirname(os.path.abspath(sfnsim.__file__)) + os.sep


class SfnFixture:
    """Loads state machines for one test; relative paths are tried next to the test file, then at
    the rootdir."""

    def __init__(self, test_path: Path, rootdir: Path) -> None:
        self.test_path = test_path
        self._bases = list(dict.fromkeys([test_path.parent, rootdir]))
        self._aws: Any = None
        self._machines: list[StateMachine] = []
        self._cleanups: list[Callable[[], None]] = []

    def use_aws(self, aws: Any = "moto") -> Any:
        """Send the Tasks no handler or mock answers (and Map S3 reads/writes) to ``aws`` in this test.

        ``aws`` is what ``run(aws=...)`` takes: ``"moto"``, ``"endpoint=URL"``, ``"profile=NAME"``, a
        ``boto3.Session`` or a mapping per service. With moto, ``mock_aws`` starts now and stops when
        the test ends, so set up buckets and tables with plain boto3 before running. Returns the
        backend: ``sfn.use_aws(...).client("s3")`` is a boto3 client at the same place.
        """
        __tracebackhide__ = True
        from sfnsim.tasks.aws_backend import AwsBackend

        try:
            backend = AwsBackend.from_option(aws)
        except SfnSimError as error:
            problem = str(error)
        else:
            self._aws = aws
            for machine in self._machines:
                machine.default_aws = aws
            if backend is not None and any(target.kind == "moto" for target in backend.targets.values()):
                from moto import mock_aws

                mock = mock_aws()
                mock.start()
                self._cleanups.append(mock.stop)
            return backend
        pytest.fail(f"sfn.use_aws({aws!r}): {problem}", pytrace=False)

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()

    def path(self, relative: str | os.PathLike[str]) -> Path:
        """The file ``relative`` names, e.g. a MockConfigFile: ``mock_config=sfn.path("MockConfigFile.json")``."""
        __tracebackhide__ = True
        return self._find(relative, "sfn.path")

    def load(self, source: dict[str, Any] | str | os.PathLike[str], *, name: str | None = None,
             machine: str | None = None, substitutions: Mapping[str, Any] | None = None) -> StateMachine:
        """A state machine from a definition dict, or from a JSON/YAML file (ASL, or a CloudFormation/SAM/CDK
        template: ``machine`` picks one of its state machines by logical id or name).

        A str is a file path here (to load definition *text*, use ``StateMachine.from_json``).
        ``name`` sets the machine name in ARNs (default: a template machine's name, else the file
        name without its extensions). ``substitutions`` as for ``StateMachine.from_file``.
        """
        __tracebackhide__ = True
        if not isinstance(source, (dict, str, os.PathLike)):
            pytest.fail(f"sfn.load(...) takes a definition dict or a file path, got {type(source).__name__}",
                        pytrace=False)
        from sfnsim.api import StateMachine

        try:
            if isinstance(source, dict):
                loaded = StateMachine.from_dict(source, name=name or "StateMachine")
            else:
                loaded = StateMachine.from_file(self._find(source, "sfn.load"), name=name, machine=machine,
                                                substitutions=substitutions)
            loaded.default_aws = self._aws
            self._machines.append(loaded)
            return loaded
        except SfnSimError as error:
            problem = str(error)
        # Outside the except block, so the report shows the message alone, not the exception chain.
        pytest.fail(f"sfn.load({_shown(source)}): {problem}", pytrace=False)

    def _find(self, relative: str | os.PathLike[str], caller: str) -> Path:
        __tracebackhide__ = True
        path = Path(relative)
        candidates = [path] if path.is_absolute() else [base / path for base in self._bases]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        tried = "\n".join(f"  {candidate}" for candidate in candidates)
        pytest.fail(f"{caller}({str(relative)!r}): no such file; looked for:\n{tried}", pytrace=False)

    def __repr__(self) -> str:
        return f"<sfn fixture for {self.test_path.name}>"


def pytest_configure(config: pytest.Config) -> None:
    if coverage_options.coverage_wanted(config):
        from sfnsim.coverage import plugin as coverage_plugin

        coverage_plugin.configure(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.pluginmanager.get_plugin("sfnsim-coverage") is not None:
        from sfnsim.coverage import plugin as coverage_plugin

        coverage_plugin.unconfigure(config)


@pytest.fixture
def sfn(request: pytest.FixtureRequest) -> Iterator[SfnFixture]:
    """Load and run state machines in a test: ``sfn.load("etl.asl.json").run({...}).assert_succeeded()``."""
    fixture = SfnFixture(Path(str(request.node.path)), Path(str(request.config.rootpath)))
    default_aws = request.config.getoption("sfnsim_aws", None)
    try:
        if default_aws:
            fixture.use_aws(default_aws)
        yield fixture
    finally:
        fixture.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("sfnsim").addoption(
        "--sfnsim-aws", metavar="SPEC", default=None,
        help="Send Tasks no handler answers to an AWS API in every test using the sfn fixture: "
             "moto, endpoint=URL or profile=NAME (as sfn.use_aws).")
    coverage_options.add_options(parser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """An SfnSimError is a message for the test's author: report it from the test's own frames."""
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, SfnSimError) and not item.config.getoption("fulltrace"):
        trimmed = _without_package_frames(excinfo.value.__traceback__)
        if trimmed is not None:
            # pytest re-reads the frame chain when it cuts the traceback at the test function, so
            # the chain itself is rebuilt without sfnsim's frames (a filtered Traceback would not last).
            call.excinfo = pytest.ExceptionInfo.from_exc_info(
                (type(excinfo.value), excinfo.value.with_traceback(trimmed), trimmed))
    yield


def _without_package_frames(tb: TracebackType | None) -> TracebackType | None:
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for entry in reversed(kept):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain


def _shown(source: Any) -> str:
    return "{...}" if isinstance(source, dict) else repr(str(source))


__all__ = ["SfnFixture", "sfn"]
