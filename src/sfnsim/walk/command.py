"""``sfnsim walk``: run a state machine and narrate each state it enters, stage by stage.

Options for the run (input, handlers, mocks, seed, start time) are the same as ``sfnsim run``'s and
are read by the same helpers; the exit codes are too (1 when the execution does not succeed, 2 for
unusable input). The walkthrough is printed, or written as Markdown (``--markdown``) or as a
self-contained HTML report (``--html``); ``-`` writes to stdout.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from sfnsim.cli import (
    EXIT_FAILED,
    UsageProblem,
    aws_option,
    check_aws_option,
    definition_problem,
    load_handlers,
    load_machine,
    parse_start_time,
    read_input,
    run_options,
)
from sfnsim.i18n import N_, _, use_language
from sfnsim.walk.walkthrough import Walkthrough, build_walkthrough

_T = TypeVar("_T")
_PROMPT = N_("── Enter: next state · q then Enter: show the rest without pausing ")


@click.command("walk", short_help="Narrate a run state by state: every data-flow stage, for learning.")
@run_options
@click.option("--state", "state_name", metavar="NAME", help="Narrate only the visits to this state.")
@click.option("--step", "pause", is_flag=True, help="Pause after each state until Enter is pressed.")
@click.option("--markdown", "markdown_out", metavar="FILE", help="Write the walkthrough as Markdown ('-': stdout).")
@click.option("--html", "html_out", metavar="FILE",
              help="Write a self-contained HTML report: graph, timeline, stages ('-': stdout).")
@click.option("--title", metavar="TEXT", help="Title of the Markdown or HTML document.")
@click.option("--json", "as_json", is_flag=True, help="Print the walkthrough as JSON: every visit and its stages.")
@click.option("--lang", metavar="LANG", help="Language of the narration: en or zh-CN (default: the locale's). "
              "Field names, state names and values stay as they are.")
@aws_option
def walk_command(definition: Path, input_text: str | None, input_file: str | None, handler_specs: tuple[str, ...],
                 mock_config: Path | None, test_case: str | None, seed: int, start_time: str | None,
                 state_name: str | None, pause: bool, markdown_out: str | None, html_out: str | None,
                 title: str | None, as_json: bool, lang: str | None, aws_spec: str | None) -> None:
    """Run the state machine in DEFINITION and narrate each state it enters.

    For each state: its input, then every data-flow stage under AWS's names (afterInputPath,
    afterParameters, result, afterResultSelector, afterResultPath, ... or, in JSONata,
    afterArguments, result, output), the variables Assign set, the Choice rule that matched and
    the values it compared, each retry with its back-off, and what a Catch caught.
    Exits 1 when the execution does not succeed.
    """
    if (mock_config is None) != (test_case is None):
        raise UsageProblem("--mock-config and --test-case go together: give both")
    _guarded(lambda: use_language(lang))
    check_aws_option(aws_spec)
    walkthrough = _guarded(lambda: run_walkthrough(
        definition, read_input(input_text, input_file), handlers=load_handlers(handler_specs),
        mock_config=mock_config, test_case=test_case, seed=seed, start_time=parse_start_time(start_time),
        aws=aws_spec))
    _check_state(walkthrough, state_name)
    command = recorded_command(definition, input_text, input_file, handler_specs, mock_config, test_case, seed,
                               start_time, state_name, aws_spec)
    if markdown_out is not None:
        from sfnsim.walk.markdown import render_markdown

        _write(markdown_out, render_markdown(walkthrough, state=state_name, title=title, command=command), "--markdown")
    if html_out is not None:
        from sfnsim.walk.html import render_walkthrough_html

        _write(html_out, render_walkthrough_html(walkthrough, title=title), "--html")
    if as_json:
        from sfnsim.cli import echo_json
        from sfnsim.walk.json_view import walkthrough_json

        echo_json(walkthrough_json(walkthrough, state=state_name))
    elif markdown_out is None and html_out is None:
        _tell(walkthrough, state_name, pause)
    if walkthrough.status != "SUCCEEDED":
        sys.exit(EXIT_FAILED)


def run_walkthrough(definition: Path, execution_input: Any, *, handlers: dict[str, Any] | None = None,
                    mock_config: Path | None = None, test_case: str | None = None, seed: int = 0,
                    start_time: Any = None, aws: str | None = None) -> Walkthrough:
    """Load, run with inspection, and build the walkthrough (what the command and the tutorials use)."""
    machine = load_machine(definition)
    execution = machine.run(execution_input, handlers=handlers, seed=seed, start_time=start_time,
                            mock_config=mock_config, test_case=test_case, inspect=True, aws=aws)
    return build_walkthrough(execution)


def recorded_command(definition: Path, input_text: str | None, input_file: str | None,
                     handler_specs: tuple[str, ...], mock_config: Path | None, test_case: str | None,
                     seed: int, start_time: str | None, state_name: str | None, aws_spec: str | None = None) -> str:
    """The command line that reproduces this run (without the output and presentation options)."""
    words = ["sfnsim", "walk", str(definition)]
    options: list[tuple[str, Any]] = [("--input", input_text), ("--input-file", input_file),
                                      *(("--handlers", spec) for spec in handler_specs),
                                      ("--mock-config", mock_config), ("--test-case", test_case),
                                      ("--seed", seed or None), ("--start-time", start_time), ("--state", state_name),
                                      ("--aws", aws_spec)]
    for option, value in options:
        if value is not None:
            words += [option, str(value)]
    return shlex.join(words)


def _guarded(work: Callable[[], _T]) -> _T:
    """Errors sfnsim reports to its user become a message and exit code 2, also outside the main group."""
    from sfnsim.errors import DefinitionError, HandlerError, SfnSimError

    try:
        return work()
    except DefinitionError as exc:
        raise definition_problem(exc) from None
    except HandlerError as exc:
        hint = ("\nFrom the command line, give handlers with --handlers MODULE:ATTR (a dict of handlers), "
                "or mocks with --mock-config FILE --test-case NAME.") if "has no handler" in str(exc) else ""
        raise UsageProblem(f"{exc}{hint}") from None
    except SfnSimError as exc:
        raise UsageProblem(str(exc)) from None


def _check_state(walkthrough: Walkthrough, state_name: str | None) -> None:
    if state_name is None:
        return
    from sfnsim.walk.machine import index_states

    known = index_states(walkthrough.definition)
    if state_name not in known:
        raise UsageProblem(f"--state {state_name!r}: the definition has no such state (states: {', '.join(known)})")
    if not any(step.name == state_name for step in walkthrough.all_steps()):
        entered = ", ".join(dict.fromkeys(step.name for step in walkthrough.all_steps())) or "none"
        raise UsageProblem(f"--state {state_name!r}: this run never entered it (states entered: {entered})")


def _tell(walkthrough: Walkthrough, state_name: str | None, pause: bool) -> None:
    from sfnsim.walk.narrate import narrate_chunks

    chunks = narrate_chunks(walkthrough, state=state_name)
    stdin = sys.stdin
    for position, chunk in enumerate(chunks):
        click.echo(chunk, nl=False)
        if pause and 0 < position < len(chunks) - 1:
            click.echo(_(_PROMPT), nl=False)
            answer = stdin.readline()
            click.echo("")
            if not answer or answer.strip().lower() == "q":  # end of input, or the learner has seen enough
                pause = False


def _write(target: str, text: str, option: str) -> None:
    if target == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{option} {target}: cannot write it: {exc.strerror or exc}") from None
    click.echo(f"Wrote {target}", err=True)
