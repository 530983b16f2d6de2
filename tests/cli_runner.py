"""One way for the tests to call a click command in-process, with stdout and stderr kept apart."""

from __future__ import annotations

from typing import Any

import click
from click.testing import CliRunner, Result

from sfnsim.cli import main


def invoke(*arguments: Any, input: str | None = None, command: click.Command = main) -> Result:
    """``command`` (default: ``sfnsim``) with ``arguments`` (made text), stderr apart from stdout."""
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    return runner.invoke(command, [str(a) for a in arguments], input=input)
