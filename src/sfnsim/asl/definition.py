"""Loading a definition from a dict, from text, or from a file (plain ASL or a CloudFormation/SAM
template holding one state machine), and the immutable ``Definition`` the engine compiles from."""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from sfnsim.asl.loading import Locator, PrefixedLocator, join_pointer, parse_text
from sfnsim.asl.models import StateMachine
from sfnsim.asl.validation import check_definition
from sfnsim.errors import DefinitionError, Problem

Source = Union[dict, str, "os.PathLike[str]"]
STATE_MACHINE_RESOURCE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")


@dataclass(frozen=True)
class Definition:
    """A definition AWS would accept. ``raw`` is the definition as given; ``model`` its parsed form."""

    raw: dict
    model: StateMachine
    query_language: str
    source_name: str | None = None
    state_machine_type: str | None = None  # "STANDARD" or "EXPRESS" when known (from a template)
    locator: Locator | None = None  # where values sit in the source text, when loaded from text


def load_definition(
    source: Source,
    *,
    source_name: str | None = None,
    state_machine_type: str | None = None,
    state_machine: str | None = None,
) -> Definition:
    """Load and validate a definition; raises DefinitionError listing every problem found.

    ``source`` is a dict (the definition itself), a str (JSON or YAML *text*) or a path to a file.
    A file or text may also be a CloudFormation/SAM template with one state machine resource (or
    name the one to load with ``state_machine``, its logical id).
    ``state_machine_type`` ("STANDARD"/"EXPRESS") enables the checks AWS makes for Express machines.
    """
    locator: Locator | None = None
    base_dir: Path | None = None
    if isinstance(source, dict):
        data: Any = copy.deepcopy(source)  # the Definition must not change when the caller's dict does
    elif isinstance(source, str):
        data, locator = parse_text(source, source=source_name)
        if not isinstance(data, (dict, list)) and _looks_like_a_path(source):
            message = (
                f"Definition must be a valid JSON object: to load the file {source!r}, pass pathlib.Path({source!r})"
            )
            raise DefinitionError([Problem("", message, 1, 1, source_name)])
    elif isinstance(source, os.PathLike):
        path = Path(source)
        source_name = source_name or str(path)
        data, locator = parse_text(_read(path, source_name), source=source_name)
        base_dir = path.parent
    else:
        raise DefinitionError(
            [
                Problem(
                    "",
                    f"expected a dict, JSON/YAML text or a file path, got {type(source).__name__}",
                    source=source_name,
                )
            ]
        )

    if _is_template(data):
        data, locator, source_name, template_type = _from_template(data, locator, source_name, base_dir, state_machine)
        state_machine_type = state_machine_type or template_type
    problems, model = check_definition(
        data, locator=locator, source_name=source_name, state_machine_type=state_machine_type
    )
    if problems or model is None:
        raise DefinitionError(problems)
    return Definition(
        raw=data,
        model=model,
        query_language=data.get("QueryLanguage", "JSONPath"),
        source_name=source_name,
        state_machine_type=state_machine_type,
        locator=locator,
    )


def _looks_like_a_path(text: str) -> bool:
    return "\n" not in text.strip() and text.strip().lower().endswith((".json", ".yaml", ".yml", ".asl"))


def _read(path: Path, source_name: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DefinitionError(
            [Problem("", f"cannot read the file: {exc.strerror or exc}", source=source_name)]
        ) from None
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem("", f"the file is not UTF-8 text: {exc.reason}", source=source_name)]) from None


# --------------------------------------------------------------------------------------------
# CloudFormation / SAM templates


def _is_template(data: Any) -> bool:
    return isinstance(data, dict) and "States" not in data and isinstance(data.get("Resources"), dict)


def _from_template(
    template: dict, locator: Locator | None, source_name: str | None, base_dir: Path | None, wanted: str | None
) -> tuple[Any, Locator | None, str | None, str | None]:
    """The definition of the template's state machine, with literal substitutions applied."""

    def fail(pointer: str, message: str) -> DefinitionError:
        found = locator.nearest(pointer) if locator else None
        line, column = found if found else (None, None)
        return DefinitionError([Problem(pointer, message, line, column, source_name)])

    machines = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") in STATE_MACHINE_RESOURCE_TYPES
    }
    if wanted is not None:
        if wanted not in machines:
            raise fail(
                "/Resources",
                f"the template has no state machine resource named '{wanted}'"
                f" (it has: {', '.join(machines) or 'none'})",
            )
        machines = {wanted: machines[wanted]}
    if len(machines) != 1:
        detail = (
            f"it has {len(machines)}: {', '.join(machines)}; choose one by its logical id"
            if machines
            else "it has none"
        )
        raise fail("/Resources", f"the template must hold exactly one state machine resource ({detail})")
    logical_id, resource = next(iter(machines.items()))
    properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
    prefix = join_pointer("/Resources", logical_id, "Properties")
    literals = _substitutions(properties.get("DefinitionSubstitutions"))
    machine_type = properties.get("Type") or properties.get("StateMachineType")
    machine_type = machine_type.upper() if isinstance(machine_type, str) else None

    if isinstance(properties.get("Definition"), dict):
        definition = _resolve(copy.deepcopy(properties["Definition"]), literals)
        return definition, _prefixed(locator, prefix + "/Definition"), source_name, machine_type
    if "DefinitionString" in properties:
        text = _definition_string(properties["DefinitionString"], literals)
        if text is None:
            raise fail(
                prefix + "/DefinitionString", "DefinitionString must be a string, or Fn::Sub / Fn::Join of strings"
            )
        definition, _ = parse_text(text, source=source_name)
        return definition, _prefixed(locator, prefix + "/DefinitionString", flat=True), source_name, machine_type
    uri = properties.get("DefinitionUri")
    if isinstance(uri, str) and base_dir is not None:
        path = base_dir / uri
        name = str(path)
        text = _substitute(_read(path, name), literals)
        definition, file_locator = parse_text(text, source=name)
        return definition, file_locator, name, machine_type
    if uri is not None:
        raise fail(
            prefix + "/DefinitionUri",
            "DefinitionUri can only be followed to a local file when the template is loaded from a file",
        )
    raise fail(prefix, "the state machine resource has no Definition, DefinitionString or DefinitionUri")


def _prefixed(locator: Locator | None, prefix: str, *, flat: bool = False) -> Locator | None:
    return PrefixedLocator(locator, prefix, flat=flat) if locator is not None else None


def _substitutions(value: Any) -> dict[str, str]:
    """The literal substitutions, applied now. A value that is an intrinsic (such as !GetAtt) is
    known only at deploy time: its ``${name}`` placeholder stays in the definition."""
    literals: dict[str, str] = {}
    for name, item in value.items() if isinstance(value, dict) else ():
        if isinstance(item, bool):
            literals[name] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            literals[name] = str(item)
    return literals


_PLACEHOLDER = re.compile(r"\$\{([^}!]+)\}")


def _substitute(text: str, literals: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: literals.get(m.group(1).strip(), m.group(0)), text)


def _resolve(value: Any, literals: dict[str, str]) -> Any:
    """Apply substitutions and turn CloudFormation intrinsics into ``${...}`` placeholder strings."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and isinstance(arg, str):
                return literals.get(arg, "${" + arg + "}")
            if key == "Fn::GetAtt":
                return "${" + (".".join(map(str, arg)) if isinstance(arg, list) else str(arg)) + "}"
            if key == "Fn::Sub":
                text, extra = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
                if isinstance(text, str):
                    extra_literals = {k: v for k, v in (extra or {}).items() if isinstance(v, str)}
                    return _substitute(text, {**literals, **extra_literals})
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                return str(arg[0]).join(str(_resolve(part, literals)) for part in arg[1])
            if key.startswith("Fn::"):
                return "${" + f"{key}({json.dumps(arg, separators=(',', ':'))})" + "}"
        return {k: _resolve(v, literals) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, literals) for v in value]
    if isinstance(value, str):
        return _substitute(value, literals)
    return value


def _definition_string(value: Any, literals: dict[str, str]) -> str | None:
    if isinstance(value, str):
        return _substitute(value, literals)
    resolved = _resolve(value, literals)
    return resolved if isinstance(resolved, str) else None
