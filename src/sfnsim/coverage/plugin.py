"""Workflow coverage in pytest: ``--sfn-cov``, ``--sfn-cov-report=TYPE[:DEST]``, ``--sfn-cov-fail-under=PCT``.

The options are added by sfnsim's pytest plugin (``sfnsim.pytest_plugin``); when coverage is on, a
``WorkflowCoverage`` is registered. It watches every StateMachine created and every execution started
(through ``sfnsim.api.add_observer``, so tests need no change) and, after each test, reads the
histories of that test's executions. Under pytest-xdist each worker hands its data to the controller
in ``workeroutput`` when it finishes; the controller adds them up, writes the reports and applies
the threshold.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sfnsim import api
from sfnsim.coverage.data import CoverageData, MachineCoverage
from sfnsim.coverage.options import add_options, coverage_wanted
from sfnsim.coverage.report import REPORT_TYPES, render_cobertura, render_json, render_markdown, render_term

__all__ = ["add_options", "configure", "unconfigure", "WorkflowCoverage"]

WORKER_OUTPUT_KEY = "sfnsim_coverage"
DEFAULT_FILES = {"json": "sfn-coverage.json", "html": "sfn-coverage.html", "markdown": "sfn-coverage.md",
                 "xml": "sfn-coverage.xml"}


def configure(config: pytest.Config) -> None:
    """Register the coverage plugin when any of the options asks for it."""
    if not coverage_wanted(config):
        return
    plugin = WorkflowCoverage(config)
    config.pluginmanager.register(plugin, "sfnsim-coverage")
    api.add_observer(plugin)


def unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin("sfnsim-coverage")
    if plugin is not None:
        api.remove_observer(plugin)


@dataclass(frozen=True)
class ReportRequest:
    kind: str
    destination: Path | None  # None: the terminal


def parse_reports(values: list[str], base: Path) -> list[ReportRequest]:
    requests = []
    for value in values or ["term"]:
        kind, _, destination = value.partition(":")
        if kind not in REPORT_TYPES:
            raise pytest.UsageError(f"--sfn-cov-report={value}: unknown report type {kind!r} "
                                    f"(choose from {', '.join(REPORT_TYPES)})")
        if kind == "term":
            if destination:
                raise pytest.UsageError(f"--sfn-cov-report={value}: the term report is printed, it takes no file")
            requests.append(ReportRequest(kind, None))
        else:
            requests.append(ReportRequest(kind, base / (destination or DEFAULT_FILES[kind])))
    return requests


def machine_key(machine: Any, rootdir: Path) -> tuple[str, str]:
    """(source, name) for a StateMachine: its file relative to the rootdir and, for a machine from a
    template, its name there (a template may hold several), else the file name; an inline
    definition is named after its content."""
    source = getattr(machine, "source", None)
    if source is None:
        digest = hashlib.sha1(json.dumps(machine.definition, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return f"<inline definition {digest}>", machine.name
    path = Path(source)
    relative = Path(os.path.relpath(path.resolve(), rootdir.resolve())).as_posix()
    from_template = getattr(machine, "_template", None) is not None  # set by StateMachine.from_file/from_template
    return relative, machine.name if from_template else path.name.split(".", 1)[0]


def started_children(execution: Any) -> list[Any]:
    """The ``states:startExecution`` children of an execution, and of its Distributed Map children."""
    found = []
    for child in execution.children:
        found.extend([child] if child.kind == "startExecution" else started_children(child))
    return found


class WorkflowCoverage:
    """The pytest side of workflow coverage (one per session, in every xdist worker and the controller)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rootdir = Path(str(config.rootpath))
        self.requests = parse_reports(config.getoption("sfn_cov_report"), Path(config.invocation_params.dir))
        self.fail_under: float | None = config.getoption("sfn_cov_fail_under")
        self.is_worker = hasattr(config, "workerinput")
        self.data = CoverageData()
        self.loaded: list[Any] = []
        self.pending: list[Any] = []
        self.written: list[tuple[str, Path]] = []
        self.gate_message: str | None = None

    # -- told by sfnsim.api ---------------------------------------------------------------------
    def machine_loaded(self, machine: Any) -> None:
        self.loaded.append(machine)  # keyed later: loading may still be setting it up

    def execution_started(self, execution: Any) -> None:
        self.pending.append(execution)

    def _entry(self, machine: Any) -> MachineCoverage:
        source, name = machine_key(machine, self.rootdir)
        return self.data.machine(source, name, machine.definition)

    def flush(self) -> None:
        """Count the machines loaded and executions started so far (once their test ended)."""
        loaded, self.loaded = self.loaded, []
        for machine in loaded:
            self._entry(machine)
        pending, self.pending = self.pending, []
        for execution in pending:
            self._count(self._entry(execution.machine), execution)

    def _count(self, entry: MachineCoverage, execution: Any) -> None:
        entry.add_execution(execution)
        for child in started_children(execution):
            self._count(self._entry_of_child(child), child)

    def _entry_of_child(self, child: Any) -> MachineCoverage:
        """The machine a ``states:startExecution`` child ran: one loaded in the session (a template's
        sibling, or one given in ``state_machines=``), matched by name and definition."""
        for entry in self.data.machines.values():
            if entry.name == child.machine.name and entry.definition == child.machine.definition:
                return entry
        return self.data.machine(f"<started by an execution: {child.machine.name}>", child.machine.name,
                                 child.machine.definition)

    # -- pytest hooks ---------------------------------------------------------------------------
    def pytest_runtest_logfinish(self) -> None:
        self.flush()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker finished; add its data."""
        data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
        if data is not None:
            self.data.merge_data(data)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.flush()
        if self.is_worker:
            self.config.workeroutput[WORKER_OUTPUT_KEY] = self.data.to_data()  # type: ignore[attr-defined]
            return
        for request in self.requests:
            if request.destination is not None:
                self._write(request)
        if self.fail_under is not None:
            self._gate(session)

    def _write(self, request: ReportRequest) -> None:
        assert request.destination is not None
        if request.kind == "html":
            from sfnsim.coverage.html import render_html

            text = render_html(self.data)
        elif request.kind == "xml":
            text = render_cobertura(self.data, self.rootdir)
        else:
            text = {"json": render_json, "markdown": render_markdown}[request.kind](self.data)
        try:
            request.destination.parent.mkdir(parents=True, exist_ok=True)
            request.destination.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise pytest.UsageError(f"--sfn-cov-report={request.kind}:{request.destination}: cannot write it: "
                                    f"{exc.strerror or exc}") from None
        self.written.append((request.kind, request.destination))

    def _gate(self, session: pytest.Session) -> None:
        assert self.fail_under is not None
        if not self.data.machines:
            self.gate_message = ("FAIL: --sfn-cov-fail-under: no state machine was loaded, so there is no "
                                 "workflow coverage to check")
        elif self.data.percent < self.fail_under:
            self.gate_message = (f"FAIL: workflow coverage {self.data.percent:.2f}% is below "
                                 f"--sfn-cov-fail-under={self.fail_under:g}%")
        else:
            return
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        if any(request.kind == "term" for request in self.requests):
            terminalreporter.write_sep("-", "sfnsim workflow coverage")
            terminalreporter.write(render_term(self.data))
        for kind, path in self.written:
            terminalreporter.write_line(f"Workflow coverage {kind} report written to {path}")
        if self.gate_message is not None:
            terminalreporter.write_line(self.gate_message, red=True, bold=True)
        elif self.fail_under is not None:
            terminalreporter.write_line(f"Required workflow coverage of {self.fail_under:g}% reached: "
                                        f"{self.data.percent:.2f}%", green=True)
