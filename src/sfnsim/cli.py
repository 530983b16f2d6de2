"""The ``sfnsim`` command line: run, validate, graph and replay state machines.

Exit codes: 0 success; 1 the execution failed, a definition is invalid, or a replay diverged;
2 bad usage or unreadable/invalid input (always with a message saying where and what);
3 an internal error, i.e. a bug in sfnsim (set ``SFNSIM_DEBUG=1`` for the traceback).

Start-up is kept short: this module imports only click; each command imports the engine, rich
or the validator when it runs.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

# Commands that live in other modules: (module, attribute, one-line help shown by --help).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "conformance": ("sfnsim.conformance.cli", "conformance_command",
                    "Measure fidelity on an AWS-recorded corpus of executions."),
    "coverage": ("sfnsim.coverage.command", "coverage_command",
                 "Which states and branches saved histories exercised (workflow coverage)."),
    "learn": ("sfnsim.learn.command", "learn_command",
              "Graded exercises in the States Language, checked locally."),
    "walk": ("sfnsim.walk.command", "walk_command",
             "Narrate a run state by state: every data-flow stage, for learning."),
    "serve": ("sfnsim.server.cli", "serve_command",
              "Serve the Step Functions API for any SDK, on the virtual clock."),
}


class UsageProblem(click.ClickException):
    """Unusable input or options: ``Error: <message>`` on stderr and exit code 2, no traceback."""

    exit_code = EXIT_USAGE
    problems: list[Any] | None = None  # a definition's located problems, for --json output


class SfnsimGroup(click.Group):
    """Loads the commands of other modules only when they are run, and turns errors into messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY_COMMANDS:
            return command
        module_name, attribute, short_help = LAZY_COMMANDS[cmd_name]
        try:
            command = getattr(importlib.import_module(module_name), attribute)
        except Exception as exc:  # a colleague's module mid-edit must not break the other commands
            return _unavailable(cmd_name, short_help, exc)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing uses the table's help for lazy commands, so `sfnsim --help` imports nothing heavy.
        rows = []
        for name in self.list_commands(ctx):
            command = super().get_command(ctx, name)
            if command is not None:
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
            else:
                rows.append((name, LAZY_COMMANDS[name][2]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        json_errors = "--json" in ctx.args  # the subcommand's own arguments, not yet parsed
        try:
            return self._invoke_reporting_errors(ctx)
        except click.exceptions.ClickException as exc:
            if not json_errors:
                raise
            # A script that asked for --json parses stdout: the error must be JSON there too.
            error: dict[str, Any] = {"type": _error_type(exc), "message": exc.format_message(),
                                     "exit_code": exc.exit_code}
            if getattr(exc, "problems", None):
                error["problems"] = [problem_json(p) for p in exc.problems]
            echo_json({"error": error})
            sys.exit(exc.exit_code)

    def _invoke_reporting_errors(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # The reader went away (e.g. `sfnsim run --json | head`): stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_FAILED)
        except Exception as exc:
            from sfnsim.errors import DefinitionError, SfnSimError

            if isinstance(exc, DefinitionError):
                raise definition_problem(exc) from None
            if isinstance(exc, SfnSimError):
                raise UsageProblem(str(exc)) from None
            _internal_error(exc)


def _error_type(exc: click.exceptions.ClickException) -> str:
    if isinstance(exc, InternalProblem):
        return "InternalError"
    if isinstance(exc, click.UsageError):
        return "UsageError"
    return "InputError" if exc.exit_code == EXIT_USAGE else "Error"


def _unavailable(name: str, short_help: str, exc: Exception) -> click.Command:
    def fail(**_: Any) -> NoReturn:
        raise UsageProblem(f"the {name} command is not available: {type(exc).__name__}: {exc}")

    return click.Command(name, callback=fail, help=short_help, context_settings={"ignore_unknown_options": True},
                         params=[click.Argument(["args"], nargs=-1)])


class InternalProblem(click.ClickException):
    """A bug in sfnsim, reported as such (exit 3), never disguised as the user's error."""

    exit_code = EXIT_INTERNAL


def _internal_error(exc: BaseException) -> NoReturn:
    if os.environ.get("SFNSIM_DEBUG"):
        raise exc
    raise InternalProblem(
        f"internal error in sfnsim: {type(exc).__name__}: {exc}\n"
        "This is a bug in sfnsim, not in your state machine; please report it "
        "(set SFNSIM_DEBUG=1 to see the traceback)."
    ) from None


@click.group(cls=SfnsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sfnsim", message="%(prog)s %(version)s")
def main() -> None:
    """sfnsim: run AWS Step Functions state machines locally, on a virtual clock.

    Exit codes: 0 success, 1 the execution/check failed or a replay diverged, 2 bad usage or
    unreadable input, 3 internal error.
    """


# ---------------------------------------------------------------------------------------------
# Shared helpers


def load_definition_file(path: Path) -> tuple[dict[str, Any], str]:
    """A validated definition and its machine's name, from a definition file, a template, or a
    describe-state-machine output; an invalid one raises DefinitionError (reported with locations).

    For a template, the command's ``--machine`` and ``--substitute`` options apply."""
    from sfnsim.asl import load_definition
    from sfnsim.history.aws_files import read_definition

    source = read_definition(path)
    machine, substitutions = template_choice()
    loaded = load_definition(source.definition, source_name=source.source_name,
                             state_machine_type=source.state_machine_type, state_machine=machine,
                             substitutions=substitutions)
    name = source.state_machine_name or loaded.machine_name or path.name.split(".", 1)[0] or "StateMachine"
    return loaded.raw, name


def load_machine(path: Path) -> Any:
    """A runnable StateMachine from a definition file (see ``load_definition_file``); a template's
    other machines stay known to it, so it can start them as child executions."""
    from sfnsim.api import StateMachine
    from sfnsim.history.aws_files import read_definition

    source = read_definition(path)
    if source.path is not None and source.definition == source.path:  # a file to load, not a describe output
        machine, substitutions = template_choice()
        return StateMachine.from_file(path, machine=machine, substitutions=substitutions)
    definition, name = load_definition_file(path)
    return StateMachine(definition, name=name, source=str(path))


aws_option = click.option(
    "--aws", "aws_spec", metavar="moto|endpoint=URL|profile=NAME",
    help="Send Tasks no handler or mock answers (and Map S3 reads/writes) to an AWS API: moto in-process, "
         "an endpoint such as LocalStack, or an AWS profile (a real account).")


def check_aws_option(aws_spec: str | None) -> None:
    """Refuse a malformed ``--aws`` before anything runs, in a message naming the option."""
    if aws_spec is not None:
        from sfnsim.tasks.aws_backend import parse_target

        parse_target(aws_spec, "--aws")


def definition_problem(exc: Any) -> UsageProblem:
    """A DefinitionError as the UsageProblem the CLI reports (text, or JSON with the located problems)."""
    problem = UsageProblem(definition_problems_message(exc))
    problem.problems = exc.problems
    return problem


# ---------------------------------------------------------------------------------------------
# --machine and --substitute: which machine of a template, and the values only a deployment knows

_TEMPLATE_CHOICE = "sfnsim.template_choice"


def template_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--machine ID_OR_NAME`` and ``--substitute NAME=VALUE``, read by the loaders above."""

    def remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta.setdefault(_TEMPLATE_CHOICE, {})[param.name] = value
        return value

    command = click.option(
        "--substitute", "substitutions", multiple=True, metavar="NAME=VALUE", expose_value=False,
        callback=remember,
        help="A value only a deployment knows: a template parameter without a default, an import, a "
             "${placeholder}, a resource attribute (Fn.Arn); repeatable.")(command)
    return click.option(
        "--machine", metavar="ID_OR_NAME", expose_value=False, callback=remember,
        help="The template's state machine to use, by logical id or name (needed when it has several).")(command)


def template_choice() -> tuple[str | None, dict[str, str] | None]:
    """The current command's ``--machine`` and ``--substitute`` values."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(_TEMPLATE_CHOICE, {}) if ctx is not None else {}
    substitutions: dict[str, str] = {}
    for item in chosen.get("substitutions") or ():
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise UsageProblem(f"--substitute {item!r}: expected NAME=VALUE")
        substitutions[name] = value
    return chosen.get("machine"), substitutions or None


def definition_problems_message(exc: Any) -> str:
    """A DefinitionError as ``file:line:col: message (at /pointer)`` lines under one heading."""
    from sfnsim.render.text import problem_line

    sources = {p.source for p in exc.problems if p.source}
    name = sources.pop() if len(sources) == 1 else "the definition"
    count = len(exc.problems)
    lines = [f"{name} is not a valid state machine definition ({count} problem{'s' if count != 1 else ''}):"]
    lines += [f"  {problem_line(p, 'definition')}" for p in exc.problems]
    return "\n".join(lines)


def load_handlers(specs: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Handlers from ``module:attr`` (or ``path/to/file.py:attr``): each a dict of name → callable.

    This runs the user's module, at their explicit request; its errors are reported, not raised.
    """
    handlers: dict[str, Any] = {}
    for spec in specs:
        module_part, _, attribute = spec.rpartition(":")
        if not module_part or not attribute:
            raise UsageProblem(f"--handlers {spec!r}: expected MODULE:ATTR, e.g. my_tests.handlers:HANDLERS")
        module = _import_user_module(module_part, spec)
        value: Any = module
        for part in attribute.split("."):
            if not hasattr(value, part):
                raise UsageProblem(f"--handlers {spec!r}: module {module_part!r} has no attribute {attribute!r}")
            value = getattr(value, part)
        if not isinstance(value, Mapping):
            raise UsageProblem(f"--handlers {spec!r}: {attribute} is a {type(value).__name__}, expected a dict "
                               "mapping state names, resource ARNs or Lambda function names to handlers")
        for key, handler in value.items():
            if not isinstance(key, str) or not callable(handler):
                raise UsageProblem(f"--handlers {spec!r}: entry {key!r} must map a name (str) to a callable handler")
        handlers.update(value)
    return handlers


def _import_user_module(module_part: str, spec: str) -> Any:
    try:
        _put_on_path(os.getcwd())  # as `python -m` does: modules of the project the user is in resolve
        if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
            return _import_file(Path(module_part), spec)
        return importlib.import_module(module_part)
    except UsageProblem:
        raise
    except Exception as exc:  # the user's module failed to import: say so, with its own message
        raise UsageProblem(f"--handlers {spec!r}: could not import {module_part!r}: {type(exc).__name__}: {exc}") from None


def _put_on_path(folder: str) -> None:
    if folder not in sys.path and not (folder == os.getcwd() and "" in sys.path):
        sys.path.insert(0, folder)


def _import_file(path: Path, spec: str) -> Any:
    """Import a handlers file as pytest's default import mode does: the first folder above it that is
    not a package goes on sys.path, and the file is imported under its dotted name from there, so its
    own imports (siblings, its package, the project's modules) resolve as they do under pytest."""
    if not path.is_file():
        raise UsageProblem(f"--handlers {spec!r}: no such file: {path}")
    path = path.resolve()
    parts = [path.stem]
    base = path.parent
    while (base / "__init__.py").is_file() and base.parent != base:
        parts.insert(0, base.name)
        base = base.parent
    _put_on_path(str(base))
    module_name = ".".join(parts)
    module = importlib.import_module(module_name)
    if Path(getattr(module, "__file__", "") or "").resolve() != path:
        raise UsageProblem(f"--handlers {spec!r}: importing {path} as {module_name!r} found another module "
                           f"({getattr(module, '__file__', None)}): rename the file or use MODULE:ATTR")
    return module


def read_input(text: str | None, file: str | None) -> Any:
    """The execution input from --input, --input-file (``-`` is stdin) or piped stdin; default ``{}``."""
    if text is not None and file is not None:
        raise UsageProblem("give the input once: --input or --input-file, not both")
    if text is not None:
        return _parse_json(text, "--input")
    if file == "-":
        return _parse_json(sys.stdin.read(), "the input on stdin", empty_ok=True)
    if file is not None:
        try:
            content = Path(file).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise UsageProblem(f"--input-file {file}: cannot read it: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise UsageProblem(f"--input-file {file}: not UTF-8 text: {exc.reason}") from None
        return _parse_json(content, f"--input-file {file}")
    piped = _piped_stdin()
    return {} if piped is None else _parse_json(piped, "the input on stdin", empty_ok=True)


def _piped_stdin() -> str | None:
    """Stdin's text when it is a pipe or a file (never wait on a terminal or /dev/null)."""
    stream = sys.stdin
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return stream.read()  # not a real file descriptor (e.g. a test runner's stream)
    if stat.S_ISFIFO(mode) or stat.S_ISREG(mode):
        return stream.read()
    return None


def _parse_json(text: str, what: str, *, empty_ok: bool = False) -> Any:
    if empty_ok and not text.strip():
        return {}
    from sfnsim.dataflow.jsontypes import loads_json

    try:
        return loads_json(text)
    except json.JSONDecodeError as exc:
        raise UsageProblem(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def parse_start_time(value: str | None) -> Any:
    if value is None:
        return None
    from sfnsim.history.aws_files import parse_timestamp

    try:
        return parse_timestamp(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time, e.g. 2024-05-01T12:00:00Z",
                                 param_hint="--start-time") from None


def write_json_file(path: Path, data: Any, what: str) -> None:
    _write_text_file(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", what)


def _write_text_file(path: Path, text: str, what: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{what} {path}: cannot write it: {exc.strerror or exc}") from None


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _print_run(execution: Any, title: str) -> None:
    """The run's report: written as plain text when rich would write no styles to stdout (a file or
    a pipe) and the text is one rich would not change, else by rich."""
    from sfnsim.render.text import plain_output_width, plain_run, render_run

    width = plain_output_width(sys.stdout)
    text = plain_run(execution, title=title, width=width) if width is not None else None
    if text is not None and _encodable(text, sys.stdout):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        render_run(_console(), execution, title=title)


def _encodable(text: str, stream: Any) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False  # rich reports it, with its hint about PYTHONIOENCODING
    return True


_HANDLER_HINT = ("From the command line, give handlers with --handlers MODULE:ATTR (a dict of handlers), "
                 "or mocks with --mock-config FILE --test-case NAME.")

# ---------------------------------------------------------------------------------------------
# run


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that runs a machine takes (``run``, ``walk``): DEFINITION, input,
    handlers or MockConfigFile, seed and start time."""
    options = [
        click.argument("definition", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--input", "input_text", metavar="JSON", help="The execution input as JSON text."),
        click.option("--input-file", metavar="FILE", help="Read the execution input from FILE ('-' for stdin)."),
        click.option("--handlers", "handler_specs", multiple=True, metavar="MODULE:ATTR",
                     help="A dict of Task handlers (state name, resource ARN or function name → callable); "
                          "repeatable."),
        click.option("--mock-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="An AWS Step Functions Local MockConfigFile."),
        click.option("--test-case", metavar="NAME", help="The MockConfigFile test case to use."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed for jitter, States.UUID, $random()."),
        click.option("--start-time", metavar="ISO-8601", help="When the execution starts on the virtual clock."),
    ]
    for option in reversed(options):
        command = option(command)
    return template_options(command)


@main.command(short_help="Run a state machine and show the path it took.")
@run_options
@click.option("--history-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the history as `aws stepfunctions get-execution-history` prints it.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report of the run (graph, timeline, data flow).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (status, output, path, steps, history).")
@aws_option
def run(definition: Path, input_text: str | None, input_file: str | None, handler_specs: tuple[str, ...],
        mock_config: Path | None, test_case: str | None, seed: int, start_time: str | None,
        history_out: Path | None, report: Path | None, as_json: bool, aws_spec: str | None) -> None:
    """Run the state machine in DEFINITION and show the path it took.

    The input comes from --input, --input-file, or stdin when it is piped (default {}).
    Exits 1 when the execution does not succeed.
    """
    if (mock_config is None) != (test_case is None):
        raise UsageProblem("--mock-config and --test-case go together: give both")
    moment = parse_start_time(start_time)
    execution_input = read_input(input_text, input_file)
    handlers = load_handlers(handler_specs)
    check_aws_option(aws_spec)
    machine = load_machine(definition)
    from sfnsim.errors import HandlerError

    try:
        execution = machine.run(execution_input, handlers=handlers, seed=seed, start_time=moment,
                                mock_config=mock_config, test_case=test_case, inspect=report is not None,
                                aws=aws_spec)
    except HandlerError as exc:
        hint = f"\n{_HANDLER_HINT}" if "has no handler" in str(exc) else ""
        raise UsageProblem(f"{exc}{hint}") from None
    if history_out is not None:
        write_json_file(history_out, execution.to_aws_history(), "--history-out")
    if report is not None:
        from sfnsim.walk.html import render_report

        _write_text_file(report, render_report(execution), "--report")
    if as_json:
        from sfnsim.render.data import execution_json

        echo_json(execution_json(execution))
    else:
        _print_run(execution, machine.name)
    if execution.status != "SUCCEEDED":
        sys.exit(EXIT_FAILED)


# ---------------------------------------------------------------------------------------------
# validate


@main.command(short_help="Check definitions as AWS would, with exact locations.")
@click.argument("definitions", nargs=-1, required=True, metavar="DEFINITION...",
                type=click.Path(path_type=Path))
@click.option("--type", "machine_type", type=click.Choice(["STANDARD", "EXPRESS"], case_sensitive=False),
              help="Also apply the checks AWS makes for this state machine type.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@template_options
def validate(definitions: tuple[Path, ...], machine_type: str | None, as_json: bool) -> None:
    """Check definitions as AWS would, reporting every problem with its location.

    Reads ASL JSON/YAML, CloudFormation/SAM/CDK templates (every state machine they hold, or the
    one --machine names), and describe-state-machine outputs. Exits 1 when a definition is invalid, 2 when a file cannot be read.
    """
    results = [_validate_one(path, machine_type.upper() if machine_type else None) for path in definitions]
    unreadable = any(reason is not None for _, _, reason in results)
    invalid = any(problems for _, problems, _ in results)
    if as_json:
        echo_json({"valid": not (invalid or unreadable), "files": [_validation_json(*r) for r in results]})
    else:
        from sfnsim.render.text import render_validation

        console = _console()
        render_validation(console, results)
        console.print(_validation_summary(results))
    if unreadable:
        sys.exit(EXIT_USAGE)
    if invalid:
        sys.exit(EXIT_FAILED)


def _validate_one(path: Path, machine_type: str | None) -> tuple[str, list[Any] | None, str | None]:
    from sfnsim.asl import load_definition
    from sfnsim.asl.definition import load_every_machine
    from sfnsim.errors import DefinitionError, InputError
    from sfnsim.history.aws_files import read_definition

    name = str(path)
    if not path.exists():
        return name, None, "no such file"
    if path.is_dir():
        return name, None, "it is a directory"
    machine, substitutions = template_choice()
    try:
        source = read_definition(path)
        if machine is None:  # every machine of a template
            load_every_machine(source.definition, source_name=source.source_name,
                               state_machine_type=machine_type or source.state_machine_type,
                               substitutions=substitutions)
        else:
            load_definition(source.definition, source_name=source.source_name,
                            state_machine_type=machine_type or source.state_machine_type,
                            state_machine=machine, substitutions=substitutions)
    except InputError as exc:
        return name, None, str(exc)
    except DefinitionError as exc:
        return name, exc.problems, None
    return name, [], None


def _validation_json(name: str, problems: list[Any] | None, unreadable: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"file": name, "valid": not problems and unreadable is None}
    if unreadable is not None:
        data["error"] = unreadable
    data["problems"] = [problem_json(p) for p in problems or []]
    return data


def problem_json(problem: Any) -> dict[str, Any]:
    """One located definition problem as JSON (validate --json, and errors under --json)."""
    return {"pointer": problem.pointer, "line": problem.line, "column": problem.column,
            "message": problem.message, "source": problem.source}


def _validation_summary(results: list[tuple[str, list[Any] | None, str | None]]) -> str:
    valid = sum(1 for _, problems, reason in results if reason is None and not problems)
    problems = sum(len(p or []) for _, p, _ in results)
    invalid = sum(1 for _, p, _ in results if p)
    unreadable = sum(1 for _, _, reason in results if reason is not None)
    parts = [f"{len(results)} file{'s' if len(results) != 1 else ''} checked: {valid} valid"]
    if invalid:
        parts.append(f"{invalid} invalid ({problems} problem{'s' if problems != 1 else ''})")
    if unreadable:
        parts.append(f"{unreadable} unreadable")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# graph


@main.command(short_help="Draw a state machine as a Mermaid or DOT diagram.")
@click.argument("definition", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid", show_default=True,
              help="Mermaid flowchart (renders in GitHub/GitLab Markdown), Graphviz DOT, or JSON nodes and edges.")
@click.option("--json", "as_json", is_flag=True, help="Print the graph as JSON (the same as --format json).")
@click.option("--history", "history_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Highlight the path taken in this history (AWS format, e.g. from `sfnsim run --history-out`).")
@template_options
def graph(definition: Path, fmt: str, as_json: bool, history_path: Path | None) -> None:
    """Draw the state machine in DEFINITION; Parallel and Map contents are nested subgraphs.

    Exits 2 when --history records states that DEFINITION does not have (a history of another machine).
    """
    from sfnsim.history.aws_files import read_history
    from sfnsim.history.steps import step_tree
    from sfnsim.render.graph import HistoryMismatch, render_graph

    raw, name = load_definition_file(definition)
    tree = step_tree(read_history(history_path)) if history_path is not None else None
    try:
        text = render_graph(raw, "json" if as_json else fmt, title=name, tree=tree)
    except HistoryMismatch as exc:
        raise UsageProblem(f"--history {history_path}: {exc}") from None
    click.echo(text, nl=False)


# ---------------------------------------------------------------------------------------------
# replay


@main.command(short_help="Replay a recorded AWS execution and report any divergence.")
@click.argument("history", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--definition", "definition_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The definition to replay: a definition file (possibly edited) or the output of "
                   "`aws stepfunctions describe-state-machine-for-execution`.")
@click.option("--handlers", "handler_specs", multiple=True, metavar="MODULE:ATTR",
              help="Handlers for task attempts the recording cannot answer; repeatable.")
@click.option("--execution-arn", metavar="ARN",
              help="Without HISTORY: fetch the history and definition with boto3. With HISTORY: names the execution.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {reproduced, divergence, outcome, unanswered, ...} as JSON.")
def replay(history: Path | None, definition_path: Path | None, handler_specs: tuple[str, ...],
           execution_arn: str | None, as_json: bool) -> None:
    """Replay a recorded AWS execution locally and report whether sfnsim reproduces it.

    HISTORY is what `aws stepfunctions get-execution-history --execution-arn ARN` prints. Task
    attempts are answered with their recorded results. Exits 0 when the local run reproduces the
    recording, 1 when it diverges or the outcome changed.
    """
    from sfnsim.history.replay import (
        Recording,
        fetch_execution,
        read_definition,
        read_history,
    )
    from sfnsim.replay import replay as replay_recording

    definition = read_definition(definition_path) if definition_path is not None else None
    if history is not None:
        events = read_history(history)
    elif execution_arn is not None:
        fetched_history, described = fetch_execution(execution_arn)
        events = read_history(fetched_history)
        definition = definition or read_definition(described)
    else:
        raise UsageProblem("give HISTORY (the output of `aws stepfunctions get-execution-history`) "
                           "or --execution-arn ARN to fetch it")
    if definition is None:
        raise UsageProblem("give the definition with --definition: a definition file, or the output of "
                           "`aws stepfunctions describe-state-machine-for-execution --execution-arn ARN`")
    handlers = load_handlers(handler_specs)
    result = replay_recording(Recording(events, definition, execution_arn), handlers=handlers)
    if as_json:
        echo_json(result.to_json())
    else:
        from sfnsim.render.text import render_replay

        render_replay(_console(), result)
    if not result.reproduced:
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":  # python -m sfnsim.cli
    main()
