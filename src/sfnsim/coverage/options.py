"""The workflow-coverage options of the pytest plugin, apart from the coverage machinery.

Every pytest session with sfnsim installed loads the plugin and adds these options; only a session
that asks for coverage imports ``coverage.plugin`` (and with it the engine), so the others pay nothing.
"""

from __future__ import annotations

import argparse

import pytest


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("sfnsim")
    group.addoption("--sfn-cov", action="store_true", default=False,
                    help="Measure which states and branches (Choice rules, Defaults, Catchers, Retriers) of the "
                         "state machines the tests run were exercised.")
    group.addoption("--sfn-cov-report", action="append", default=[], metavar="TYPE[:DEST]",
                    help="Workflow coverage report: term (the default), json, html, markdown or xml (Cobertura), "
                         "with an optional file, e.g. json:coverage/sfn.json. Repeatable; implies --sfn-cov.")
    group.addoption("--sfn-cov-fail-under", type=percent, default=None, metavar="PCT",
                    help="Fail the session when the total workflow coverage is below PCT percent; implies --sfn-cov.")


def coverage_wanted(config: pytest.Config) -> bool:
    """Whether any of the options asks for workflow coverage."""
    return bool(config.getoption("sfn_cov") or config.getoption("sfn_cov_report")
                or config.getoption("sfn_cov_fail_under") is not None)


def percent(text: str) -> float:
    """A --sfn-cov-fail-under value: a number from 0 to 100 (above 100 no suite could ever pass)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage from 0 to 100")
    return value
