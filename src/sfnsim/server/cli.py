"""``sfnsim serve``: run the endpoint until SIGINT or SIGTERM."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import click

from sfnsim.cli import UsageProblem, check_aws_option, load_handlers, template_choice, template_options
from sfnsim.engine.execution import DEFAULT_ACCOUNT, DEFAULT_REGION
from sfnsim.server.backend import MOCK_CONFIG_ENV
from sfnsim.server.protocol import ServiceError


@click.command("serve", short_help="Serve the Step Functions API for any SDK, on the virtual clock.")
@template_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8083, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port; the line printed at start-up says which).")
@click.option("--mock-config", type=click.Path(dir_okay=False, path_type=Path),
              help=f"A Step Functions Local MockConfigFile (default: ${MOCK_CONFIG_ENV}); an execution picks a "
                   "test case with stateMachineArn#TestCaseName. Re-read when it changes.")
@click.option("--handlers", "handler_specs", multiple=True, metavar="MODULE:ATTR",
              help="A dict of Python handlers (state name, resource ARN or function name → callable).")
@click.option("--template", "templates", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Create the state machines of this definition file or CloudFormation/SAM template at start-up.")
@click.option("--region", default=DEFAULT_REGION, show_default=True, envvar="AWS_DEFAULT_REGION",
              help="Region in the ARNs (default from $AWS_DEFAULT_REGION, as Step Functions Local).")
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True, envvar="AWS_ACCOUNT_ID",
              help="Account id in the ARNs (default from $AWS_ACCOUNT_ID, as Step Functions Local).")
@click.option("--aws", "aws_spec", metavar="moto|endpoint=URL|profile=NAME",
              help="Send Tasks nothing else answers to this AWS API (see docs/aws.md).")
@click.option("--time-scale", type=float, default=None,
              help="Run Waits and other timers at this many virtual seconds per wall second, instead of at once.")
@click.option("--real-time", is_flag=True, help="Wall-clock waits: the same as --time-scale 1.")
@click.option("--log-requests", is_flag=True, help="Log each HTTP request to stderr.")
def serve_command(host: str, port: int, mock_config: Path | None, handler_specs: tuple[str, ...],
                  templates: tuple[Path, ...], region: str, account: str, aws_spec: str | None,
                  time_scale: float | None, real_time: bool, log_requests: bool) -> None:
    """Serve the AWS Step Functions API (AWS JSON 1.0) so that boto3, the AWS CLI and the AWS SDKs
    work with only their endpoint changed. Executions run on the virtual clock: a one-day Wait
    returns at once, with AWS-true timestamps in the history.
    """
    if real_time:
        if time_scale is not None and time_scale != 1:
            raise UsageProblem("--real-time and --time-scale disagree: give one of them")
        time_scale = 1.0
    if time_scale is not None and not time_scale > 0:
        raise UsageProblem(f"--time-scale must be a positive number, got {time_scale}")
    if mock_config is not None and not mock_config.is_file():
        raise UsageProblem(f"--mock-config: no such file: {mock_config}")
    if mock_config is not None:
        from sfnsim.tasks.mock_config import MockConfig

        # Read once before listening, so a broken file is reported now rather than on the first
        # StartExecution; the server still re-reads it whenever it changes.
        MockConfig.load(mock_config, defer_undefined=True)
    check_aws_option(aws_spec)  # before listening: a misspelt backend would otherwise surface on the first Task
    handlers = load_handlers(handler_specs)
    machine, substitutions = template_choice()
    if machine is not None:
        raise UsageProblem("--machine does not apply to serve: it creates every state machine of each --template")
    machines = [machine for path in templates for machine in template_machines(path, account, substitutions)]

    from sfnsim.server import start

    try:
        endpoint = start(host=host, port=port, handlers=handlers, mock_config=mock_config, region=region,
                         account=account, time_scale=time_scale, log_requests=log_requests, aws=aws_spec)
    except OSError as exc:
        raise UsageProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # The handler only sets a flag: a threading.Event set from a signal handler can deadlock, when
    # the signal lands while the main thread holds the Event's own lock inside wait() (seen as a
    # server that ignored SIGTERM under load).
    stop_requested: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda received, _frame: stop_requested.append(received))
    try:
        with endpoint.backend.lock:
            for name, definition, role_arn, machine_type in machines:
                try:
                    record = endpoint.backend.add_machine(name, definition, role_arn, machine_type)
                except ServiceError as refused:
                    raise UsageProblem(f"--template: state machine {name!r}: {refused.message}") from None
                click.echo(f"created {record.arn}")
        click.echo(f"sfnsim serve: listening on {endpoint.url}", nl=True)
        click.get_text_stream("stdout").flush()
        while not stop_requested:
            time.sleep(0.2)  # a signal's handler runs as soon as the sleep is interrupted
    finally:
        endpoint.stop()
    click.echo("sfnsim serve: stopped")


def template_machines(path: Path, account: str = DEFAULT_ACCOUNT,
                      substitutions: dict[str, str] | None = None) -> list[tuple[str, str, str, str]]:
    """(name, definition JSON, role ARN, type) for each state machine in a definition file or template.

    A plain definition file gives one machine named after the file. A CloudFormation/SAM/CDK
    template or a Terraform file gives each of its state machines, resolved by
    ``sfnsim.asl.templates`` (name from StateMachineName/Name, else the logical id; intrinsics
    and DefinitionSubstitutions applied), with the template's RoleArn when it is written out.
    """
    from sfnsim.asl import load_definition
    from sfnsim.asl.definition import read_any_template
    from sfnsim.asl.loading import parse_text
    from sfnsim.asl.templates import is_template

    data: Any = None
    if path.suffix != ".tf":
        data, _ = parse_text(path.read_text(encoding="utf-8-sig"), source=str(path))
        if not is_template(data):
            loaded = load_definition(path, substitutions=substitutions)
            return [(path.name.split(".", 1)[0], json.dumps(loaded.raw), _default_role(account), "STANDARD")]
    machines = read_any_template(path, substitutions=substitutions).machines()
    if not machines:
        raise UsageProblem(f"--template {path}: the template has no state machine resource")
    found = []
    for machine in machines:
        load_definition(machine.definition, state_machine_type=machine.type, source_name=str(path))
        found.append((machine.name, json.dumps(machine.definition), _written_role(data, machine.logical_id, account),
                      machine.type))
    return found


def _written_role(template: Any, logical_id: str, account: str) -> str:
    """The resource's RoleArn when the template spells it out, else a default role."""
    resource = template.get("Resources", {}).get(logical_id) if isinstance(template, dict) else None
    properties = resource.get("Properties") if isinstance(resource, dict) else None
    role = properties.get("RoleArn") if isinstance(properties, dict) else None
    return role if isinstance(role, str) else _default_role(account)


def _default_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/StepFunctionsExecutionRole"


__all__ = ["serve_command", "template_machines"]
