"""Reading what AWS prints about an execution: histories and definitions.

A history is what ``aws stepfunctions get-execution-history --execution-arn ARN`` prints
(``{"events": [...]}``, pages merged), with ``input``/``output``/``parameters`` as JSON *text*; it is
read back into events with those fields parsed. A definition is a definition file or what
``describe-state-machine[-for-execution]`` prints. ``fetch_execution`` gets both with boto3.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from sfnsim.dataflow.jsontypes import loads_json
from sfnsim.errors import InputError
from sfnsim.history.events import TRUNCATION

JSON_TEXT_FIELDS = ("input", "output", "parameters")

# ---------------------------------------------------------------------------------------------
# Reading histories


def read_history(source: str | os.PathLike[str] | Mapping[str, Any] | list[Any]) -> list[dict[str, Any]]:
    """The events of an AWS-format history, in id order, payload fields parsed into values.

    ``source`` is a file path, or the already-loaded JSON: ``{"events": [...]}``, a list of such
    pages, or a plain list of events. Timestamps become aware datetimes (ISO text or epoch seconds).
    Raises :class:`InputError` saying what is wrong and where.
    """
    where = str(source) if isinstance(source, (str, os.PathLike)) else "history"
    data = _load_json_file(Path(source), "history") if isinstance(source, (str, os.PathLike)) else source
    events = _events_of(data, where)
    parsed = [_parse_event(event, where, n) for n, event in enumerate(events, 1)]
    ids = [e.get("id") for e in parsed]
    if all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids):
        parsed.sort(key=lambda e: e["id"])  # --reverse-order histories, or pages out of order
    return parsed


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: the {what} file is not UTF-8 text: {exc.reason}") from None


def _load_json_file(path: Path, what: str) -> Any:
    text = _read_text(path, what)
    try:
        return loads_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: the {what} file is not valid JSON: {exc.msg}") from None


def _events_of(data: Any, where: str) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        return data["events"]
    if isinstance(data, list) and all(isinstance(p, dict) and isinstance(p.get("events"), list) for p in data) and data:
        return [event for page in data for event in page["events"]]
    if isinstance(data, list):
        return data
    raise InputError(
        f"{where}: not an execution history: expected {{\"events\": [...]}} as written by "
        "`aws stepfunctions get-execution-history --execution-arn ARN`"
    )


def _parse_event(event: Any, where: str, number: int) -> dict[str, Any]:
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise InputError(f"{where}: event #{number} is not a history event (it has no \"type\")")
    parsed = dict(event)
    if parsed["type"].endswith("StateEntered"):
        # Every reader of a history keys on the state's name; without it a visit would count for "None".
        details = event.get("stateEnteredEventDetails")
        if not isinstance(details, dict) or not isinstance(details.get("name"), str):
            raise InputError(f"{where}: event #{number} ({parsed['type']}) has no stateEnteredEventDetails.name")
    if "timestamp" in parsed:
        parsed["timestamp"] = _timestamp(parsed["timestamp"], where, number)
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            parsed[key] = _parse_details(value, where, number)
    return parsed


def _timestamp(value: Any, where: str, number: int) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)  # the CLI's --cli-timestamp-format none
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            pass
    raise InputError(f"{where}: event #{number} has an unreadable timestamp {value!r}")


_FRACTION = re.compile(r"(T\d{2}:\d{2}:\d{2})\.(\d+)")


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 text (``Z`` or an offset; none means UTC) as an aware datetime."""
    text = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # Python 3.10 reads only 3 or 6 fractional digits.
    text = _FRACTION.sub(lambda m: f"{m.group(1)}.{(m.group(2) + '000000')[:6]}", text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parse_details(details: dict[str, Any], where: str, number: int) -> dict[str, Any]:
    parsed = dict(details)
    for name in JSON_TEXT_FIELDS:
        if isinstance(parsed.get(name), str) and not is_truncated(details, name):
            parsed[name] = _json_text(parsed[name], f"{where}: event #{number}: {name}")
    if isinstance(parsed.get("assignedVariables"), dict):
        parsed["assignedVariables"] = {
            key: _json_text(value, f"{where}: event #{number}: assignedVariables.{key}") if isinstance(value, str) else value
            for key, value in parsed["assignedVariables"].items()
        }
    return parsed


def is_truncated(details: dict[str, Any], name: str) -> bool:
    companion = details.get(TRUNCATION.get(name, ""))
    return isinstance(companion, dict) and companion.get("truncated") is True


def _json_text(text: str, where: str) -> Any:
    try:
        return loads_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where} is not JSON text ({exc.msg}); AWS writes these fields as JSON") from None


# ---------------------------------------------------------------------------------------------
# Reading definitions


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class DefinitionSource:
    """A definition as given (text or dict) and what a describe-* output says about its machine."""

    __slots__ = ("definition", "source_name", "state_machine_name", "state_machine_arn", "state_machine_type", "path")

    def __init__(self, definition: Any, source_name: str, state_machine_name: str | None = None,
                 state_machine_arn: str | None = None, state_machine_type: str | None = None,
                 path: Path | None = None) -> None:
        self.definition = definition
        self.source_name = source_name
        self.state_machine_name = state_machine_name
        self.state_machine_arn = state_machine_arn
        self.state_machine_type = state_machine_type
        self.path = path


def read_definition(source: str | os.PathLike[str] | Mapping[str, Any]) -> DefinitionSource:
    """A definition file (JSON/YAML ASL or a template), or a ``describe-state-machine[-for-execution]`` output."""
    if isinstance(source, Mapping):
        return _definition_from_data(dict(source), "definition", None)
    path = Path(source)
    text = _read_text(path, "definition")
    try:
        data = loads_json(text)
    except json.JSONDecodeError:
        data = None  # YAML, a template, or malformed: the loader reports it with a location
    if isinstance(data, dict) and _is_describe_output(data):
        return _definition_from_data(data, str(path), path)
    return DefinitionSource(definition=path, source_name=str(path), path=path)


def _is_describe_output(data: dict[str, Any]) -> bool:
    return isinstance(data.get("definition"), str) and "States" not in data


def _definition_from_data(data: dict[str, Any], where: str, path: Path | None) -> DefinitionSource:
    if not _is_describe_output(data):
        return DefinitionSource(definition=data, source_name=where, path=path)
    arn = data.get("stateMachineArn")
    name = data.get("name") or (arn.rsplit(":", 1)[-1] if isinstance(arn, str) else None)
    machine_type = data.get("type")
    return DefinitionSource(
        definition=data["definition"],
        source_name=f"{where} (definition)",
        state_machine_name=name if isinstance(name, str) else None,
        state_machine_arn=arn if isinstance(arn, str) else None,
        state_machine_type=machine_type if machine_type in ("STANDARD", "EXPRESS") else None,
        path=path,
    )


def fetch_execution(execution_arn: str, client: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The history and ``describe-state-machine-for-execution`` of an execution, through boto3.

    Needs the ``replay-aws`` extra (boto3) and the usual AWS credentials/configuration; a
    ``client`` may be passed in (any boto3 Step Functions client, e.g. pointed at a local fake).
    """
    if client is None:
        client = _stepfunctions_client(execution_arn)
    try:
        events: list[Any] = []
        for page in client.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn, includeExecutionData=True
        ):
            events.extend(page.get("events", []))
        described = client.describe_state_machine_for_execution(executionArn=execution_arn)
    except Exception as exc:  # botocore's errors (ClientError, NoCredentialsError, ...) share no base we can import lazily
        raise InputError(f"could not fetch execution {execution_arn}: {exc}") from None
    described = {k: v for k, v in described.items() if k != "ResponseMetadata"}
    return {"events": events}, described


def _stepfunctions_client(execution_arn: str) -> Any:
    try:
        import boto3  # noqa: PLC0415 - an optional extra
    except ImportError:
        raise InputError("--execution-arn needs boto3: pip install 'sfnsim[replay-aws]' (or pip install boto3)") from None
    parts = execution_arn.split(":")
    if len(parts) < 8 or parts[0] != "arn" or parts[2] != "states" or parts[5] != "execution":
        raise InputError(f"{execution_arn!r} is not an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME)")
    try:
        return boto3.client("stepfunctions", region_name=parts[3])
    except Exception as exc:  # botocore configuration errors
        raise InputError(f"could not create a Step Functions client: {exc}") from None
