"""The state machines of a CloudFormation, SAM or CDK-synthesised template, resolved as a deployment
would resolve them.

Each ``AWS::StepFunctions::StateMachine`` / ``AWS::Serverless::StateMachine`` resource becomes a
``TemplateMachine``: its logical id, its name (the ``StateMachineName``/``Name`` property, else the
logical id), its type (``STANDARD`` unless the template says ``EXPRESS``), its ARN and its
definition, read from ``Definition``, ``DefinitionString`` or a local ``DefinitionUri`` file, with
intrinsics evaluated (``sfnsim.asl.cloudformation``) and ``DefinitionSubstitutions`` applied.

A value the template leaves to the deployment and the user did not give (``substitutions=``) is a
``DefinitionError`` naming it and pointing at it; nothing unresolved reaches a run.
"""

from __future__ import annotations

import bisect
import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from sfnsim.asl.loading import Locator, PrefixedLocator, join_pointer, locator_for, parse_text
from sfnsim.errors import DefinitionError, Problem

if TYPE_CHECKING:
    from sfnsim.asl.cloudformation import Resolver

# The intrinsics (``sfnsim.asl.cloudformation``) are imported when a template is read: running a
# plain definition only asks ``unresolved_resources`` and ``is_template`` of this module.

STATE_MACHINE_RESOURCE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_STACK_NAME = "sfnsim-stack"

_PSEUDO_PARAMETER = re.compile(r"\$\{\s*(AWS::[A-Za-z]+)\s*\}")
# ${Name} in a definition: a DefinitionSubstitutions key (or a value the user gives).
_PLACEHOLDER = re.compile(r"\$\{\s*([A-Za-z0-9_.:\-]+)\s*\}")


@dataclass(frozen=True)
class TemplateMachine:
    """One state machine of a template, resolved."""

    logical_id: str
    name: str
    type: str  # "STANDARD" or "EXPRESS"
    arn: str
    definition: dict[str, Any]
    source_name: str | None = None  # the file the definition was read from
    locator: Locator | None = None  # where its values sit in that file


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class MachineResource:
    """A state machine resource before its definition is resolved."""

    __slots__ = ("logical_id", "name", "type", "arn")

    def __init__(self, logical_id: str, name: str, type: str, arn: str) -> None:
        self.logical_id = logical_id
        self.name = name
        self.type = type
        self.arn = arn


def is_template(data: Any) -> bool:
    return isinstance(data, dict) and "States" not in data and isinstance(data.get("Resources"), dict)


class Template:
    """A parsed template and the place it is deployed to; machines are resolved on demand."""

    def __init__(self, data: dict[str, Any], *, locator: Locator | None = None, source_name: str | None = None,
                 base_dir: Path | None = None, substitutions: Mapping[str, Any] | None = None,
                 region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT, stack_name: str | None = None) -> None:
        self.data = data
        self.locator = locator
        self.source_name = source_name
        self.base_dir = base_dir
        from sfnsim.asl.resource_arns import Place

        self.substitutions = _checked_substitutions(substitutions)
        place = Place(
            region=str(self.substitutions.get("AWS::Region", region)),
            account=str(self.substitutions.get("AWS::AccountId", account)),
            stack_name=str(self.substitutions.get("AWS::StackName", stack_name or DEFAULT_STACK_NAME)),
        )
        self.place = place
        self._locate = locator_for(locator)
        self._resources: list[MachineResource] | None = None

    # -- which machines ------------------------------------------------------------------------
    @property
    def resources(self) -> list[MachineResource]:
        """The template's state machines, in template order, with their names, types and ARNs."""
        if self._resources is None:
            resolver = self._resolver()
            found = []
            for logical_id, resource in self.data["Resources"].items():
                if isinstance(resource, dict) and resource.get("Type") in STATE_MACHINE_RESOURCE_TYPES:
                    found.append(self._describe(resolver, logical_id, resource))
            self._raise(resolver)
            self._resources = found
        return self._resources

    def _describe(self, resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> MachineResource:
        from sfnsim.asl.cloudformation import Unresolvable

        name = logical_id
        if _has_name(resource):
            try:
                name = resolver.resource_name(logical_id, join_pointer("/Resources", logical_id))
            except Unresolvable as missing:
                resolver.problem(missing.pointer, missing.message)
        properties = _properties(resource)
        type_key = "Type" if resource["Type"] == "AWS::Serverless::StateMachine" else "StateMachineType"
        pointer = join_pointer("/Resources", logical_id, "Properties", type_key)
        machine_type = resolver.resolve(properties.get(type_key, "STANDARD"), pointer)
        if not isinstance(machine_type, str) or machine_type.upper() not in ("STANDARD", "EXPRESS"):
            resolver.problem(pointer, f"the state machine type must be STANDARD or EXPRESS, got {machine_type!r}")
            machine_type = "STANDARD"
        arn = self.place.arn("states", f"stateMachine:{name}")
        return MachineResource(logical_id, name, machine_type.upper(), arn)

    def choose(self, wanted: str | None) -> MachineResource:
        """The machine with logical id or name ``wanted``; with None, the template's only machine."""
        return choose_machine(self.resources, wanted, lambda message: self._error("/Resources", message))

    # -- one machine, resolved -----------------------------------------------------------------
    def machine(self, wanted: str | None = None) -> TemplateMachine:
        """The chosen machine with its definition resolved; raises DefinitionError on anything unresolved."""
        chosen = self.choose(wanted)
        resource = self.data["Resources"][chosen.logical_id]
        resolver = self._resolver()
        prefix = join_pointer("/Resources", chosen.logical_id, "Properties")
        properties = _properties(resource)
        values = self._substitution_values(resolver, properties.get("DefinitionSubstitutions"), prefix)
        resolver.keep = frozenset(values)
        definition, locator, source_name = self._definition(resolver, properties, prefix, values)
        self._raise(resolver)
        if not isinstance(definition, dict):
            raise self._error(prefix, "the state machine's definition is not a JSON object")
        return TemplateMachine(chosen.logical_id, chosen.name, chosen.type, chosen.arn, definition,
                               source_name, locator)

    def machines(self) -> list[TemplateMachine]:
        """Every machine of the template, resolved."""
        return [self.machine(m.logical_id) for m in self.resources]

    # -- internals ------------------------------------------------------------------------------
    def _resolver(self) -> Resolver:
        from sfnsim.asl.cloudformation import Resolver

        return Resolver(self.data, self.place, self.substitutions, self._locate, self.source_name)

    def _error(self, pointer: str, message: str) -> DefinitionError:
        line, column = self._locate(pointer)
        return DefinitionError([Problem(pointer, message, line, column, self.source_name)])

    @staticmethod
    def _raise(resolver: Resolver) -> None:
        if resolver.problems:
            raise DefinitionError(list(resolver.problems))

    def _substitution_values(self, resolver: Resolver, given: Any, prefix: str) -> dict[str, str]:
        """DefinitionSubstitutions as text, the user's substitutions taking precedence."""
        values: dict[str, str] = {}
        pointer = join_pointer(prefix, "DefinitionSubstitutions")
        if given is not None and not isinstance(given, dict):
            resolver.problem(pointer, "DefinitionSubstitutions must be a map of names to values")
            given = {}
        for name, value in (given or {}).items():
            if name in self.substitutions:
                value = self.substitutions[name]
            else:
                known_problems = len(resolver.problems)
                value = resolver.resolve(value, join_pointer(pointer, name))
                if len(resolver.problems) > known_problems:  # reported once, not again at each use
                    values[name] = "${" + name + "}"
                    continue
            text = _as_text(value)
            if text is None:
                resolver.problem(join_pointer(pointer, name), f"the substitution {name!r} is not text: {value!r}")
                continue
            values[name] = text
        for name, value in self.substitutions.items():
            text = _as_text(value)
            if name not in values and text is not None:
                values[name] = text
        return values

    def _definition(self, resolver: Resolver, properties: dict[str, Any], prefix: str,
                    values: dict[str, str]) -> tuple[Any, Locator | None, str | None]:
        if "Definition" in properties:
            pointer = join_pointer(prefix, "Definition")
            resolved = resolver.resolve(copy.deepcopy(properties["Definition"]), pointer)
            definition = _substitute_strings(resolved, values, resolver, pointer)
            return definition, _prefixed(self.locator, pointer), self.source_name
        if "DefinitionString" in properties:
            pointer = join_pointer(prefix, "DefinitionString")
            known_problems = len(resolver.problems)
            text = resolver.resolve(properties["DefinitionString"], pointer)
            if len(resolver.problems) > known_problems:
                return None, None, self.source_name
            if not isinstance(text, str):
                resolver.problem(pointer, "DefinitionString must be a string, or an intrinsic (Fn::Sub, Fn::Join) giving one")
                return None, None, self.source_name
            text = _substitute_text(text, values, lambda offset: resolver.problem(pointer, _unknown(offset, text)))
            definition, _ = parse_text(text, source=self.source_name)
            return definition, _prefixed(self.locator, pointer, flat=True), self.source_name
        if "DefinitionUri" in properties:
            return self._definition_file(resolver, properties["DefinitionUri"], join_pointer(prefix, "DefinitionUri"), values)
        if "DefinitionS3Location" in properties:
            resolver.problem(join_pointer(prefix, "DefinitionS3Location"),
                             "a definition in S3 cannot be read: point DefinitionUri at a local file")
            return None, None, self.source_name
        resolver.problem(prefix, "the state machine resource has no Definition, DefinitionString or DefinitionUri")
        return None, None, self.source_name

    def _definition_file(self, resolver: Resolver, uri: Any, pointer: str,
                         values: dict[str, str]) -> tuple[Any, Locator | None, str | None]:
        if not isinstance(uri, str):
            resolver.problem(pointer, "DefinitionUri points at S3: only a local file (a path relative to the template) can be read")
            return None, None, self.source_name
        if self.base_dir is None:
            resolver.problem(pointer, "DefinitionUri can only be followed to a local file when the template is loaded from a file")
            return None, None, self.source_name
        path = _existing_path(self.base_dir, uri)
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            resolver.problem(pointer, f"cannot read the DefinitionUri file {name}: {getattr(exc, 'strerror', None) or exc}")
            return None, None, self.source_name
        file_problems: list[Problem] = []

        def unknown(offset: int) -> None:
            line, column = _line_column(text, offset)
            file_problems.append(Problem("", _unknown(offset, text), line, column, name))

        text = _substitute_text(text, values, unknown)
        resolver.problems.extend(file_problems)
        if file_problems:
            return None, None, name
        definition, file_locator = parse_text(text, source=name)
        return definition, file_locator, name


def choose_machine(machines: list[MachineResource], wanted: str | None,
                   error: Callable[[str], DefinitionError]) -> MachineResource:
    """The machine with logical id or name ``wanted``; with None, the only one. ``error`` makes the
    located error for a template with none, several, or not the one wanted."""
    listing = ", ".join(_label(m) for m in machines) or "none"
    if wanted is not None:
        for machine in machines:
            if wanted in (machine.logical_id, machine.name):
                return machine
        raise error(f"the template has no state machine {wanted!r} (it has: {listing})")
    if len(machines) == 1:
        return machines[0]
    if not machines:
        raise error(f"the template holds no state machine resource ({' or '.join(STATE_MACHINE_RESOURCE_TYPES)})")
    raise error(
        f"the template holds {len(machines)} state machines: {listing}; choose one by its logical id or name "
        "(machine=... in Python, --machine on the command line)"
    )


def read_template(source: dict[str, Any] | str | os.PathLike[str], *, substitutions: Mapping[str, Any] | None = None,
                  region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT,
                  stack_name: str | None = None) -> Template:
    """A template from a file path, its text, or its parsed content; raises DefinitionError if it is not one.
    (``sfnsim.asl.definition.read_any_template`` reads Terraform files too.)"""
    locator: Locator | None = None
    base_dir: Path | None = None
    source_name: str | None = None
    if isinstance(source, os.PathLike):
        path = Path(source)
        source_name = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError([Problem("", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}",
                                           source=source_name)]) from None
        data, locator = parse_text(text, source=source_name)
        base_dir = path.parent
    elif isinstance(source, str):
        data, locator = parse_text(source)
        if not isinstance(data, (dict, list)) and looks_like_a_path(source):
            message = f"a str is template text: to load the file {source!r}, pass pathlib.Path({source!r})"
            raise DefinitionError([Problem("", message, 1, 1, source_name)])
    else:
        data = source
    if not is_template(data):
        raise DefinitionError([Problem("", "not a CloudFormation/SAM template: it has no Resources map", 1, 1, source_name)])
    return Template(data, locator=locator, source_name=source_name, base_dir=base_dir, substitutions=substitutions,
                    region=region, account=account, stack_name=stack_name)


def looks_like_a_path(text: str) -> bool:
    """Whether a str given as definition or template text is more likely a file name."""
    return "\n" not in text.strip() and text.strip().lower().endswith((".json", ".yaml", ".yml", ".asl"))


def template_machines(source: dict[str, Any] | str | os.PathLike[str], **options: Any) -> list[TemplateMachine]:
    """Every state machine of a template, resolved (options as for ``read_template``)."""
    return read_template(source, **options).machines()


def unresolved_resources(definition: Any, pointer: str = "") -> list[Problem]:
    """Task ``Resource`` values still holding a CloudFormation pseudo parameter (``${AWS::Partition}``,
    ``${AWS::Region}``...): the template must fill them before the machine can run, or the task would
    be taken for another kind of resource (``arn:${AWS::Partition}:states:::lambda:invoke`` is Lambda).
    Other placeholders (``${ExtractFunctionArn}``) may stay: such a Task is answered by state name."""
    problems: list[Problem] = []
    states = definition.get("States") if isinstance(definition, dict) else None
    for name, state in states.items() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        where = join_pointer(pointer, "States", name)
        resource = state.get("Resource")
        pseudo = _PSEUDO_PARAMETER.search(resource) if state.get("Type") == "Task" and isinstance(resource, str) else None
        if pseudo is not None:
            from sfnsim.asl.cloudformation import how_to_give

            placeholder = pseudo.group(1)
            problems.append(Problem(join_pointer(where, "Resource"), (
                f"Task state {name!r} cannot run: its Resource {resource!r} holds ${{{placeholder}}}, which only "
                f"CloudFormation fills; load the template (from_file('template.yaml', machine=...), --machine) "
                f"or {how_to_give(placeholder)}")))
        for key, inner in (("Iterator", state.get("Iterator")), ("ItemProcessor", state.get("ItemProcessor"))):
            problems += unresolved_resources(inner, join_pointer(where, key))
        for index, branch in enumerate(state.get("Branches") or []):
            problems += unresolved_resources(branch, join_pointer(where, "Branches", index))
    return problems


def substitute_placeholders(definition: Any, values: Mapping[str, Any]) -> Any:
    """``${name}`` placeholders in a plain definition's strings replaced by ``values`` (others left)."""
    texts = {name: text for name, value in values.items() if (text := _as_text(value)) is not None}
    if isinstance(definition, dict):
        return {key: substitute_placeholders(item, texts) for key, item in definition.items()}
    if isinstance(definition, list):
        return [substitute_placeholders(item, texts) for item in definition]
    if isinstance(definition, str):
        return _substitute_text(definition, texts, lambda offset: None)
    return definition


# --------------------------------------------------------------------------------------------


def _checked_substitutions(substitutions: Mapping[str, Any] | None) -> dict[str, Any]:
    if substitutions is None:
        return {}
    if not isinstance(substitutions, Mapping) or not all(isinstance(k, str) for k in substitutions):
        raise DefinitionError([Problem("", "substitutions must map names (text) to values")])
    return dict(substitutions)


def _has_name(resource: dict[str, Any]) -> bool:
    key = "Name" if resource.get("Type") == "AWS::Serverless::StateMachine" else "StateMachineName"
    return key in _properties(resource)


def _properties(resource: dict[str, Any]) -> dict[str, Any]:
    properties = resource.get("Properties")
    return properties if isinstance(properties, dict) else {}


def _label(machine: MachineResource) -> str:
    return machine.logical_id if machine.name == machine.logical_id else f"{machine.logical_id} (name {machine.name!r})"


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _prefixed(locator: Locator | None, prefix: str, *, flat: bool = False) -> Locator | None:
    return PrefixedLocator(locator, prefix, flat=flat) if locator is not None else None


def _unknown(offset: int, text: str) -> str:
    from sfnsim.asl.cloudformation import how_to_give

    match = _PLACEHOLDER.match(text, offset)
    name = match.group(1) if match else "?"
    return f"${{{name}}} is not substituted: it is not in DefinitionSubstitutions; {how_to_give(name)}"


def _substitute_text(text: str, values: Mapping[str, str], unknown: Callable[[int], None]) -> str:
    """Text with ``${name}`` replaced by ``values``; ``unknown(offset)`` is told of every other one."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        unknown(match.start())
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def _substitute_strings(value: Any, values: Mapping[str, str], resolver: Resolver, pointer: str) -> Any:
    """Substitutions applied inside every string of an inline definition (keys included)."""
    if isinstance(value, dict):
        return {
            _substitute_strings(key, values, resolver, pointer): _substitute_strings(item, values, resolver,
                                                                                     join_pointer(pointer, key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_substitute_strings(item, values, resolver, join_pointer(pointer, i)) for i, item in enumerate(value)]
    if isinstance(value, str):
        return _substitute_text(value, values, lambda offset: resolver.problem(pointer, _unknown(offset, value)))
    return value


def _existing_path(base_dir: Path, uri: str) -> Path:
    """``base_dir / uri``; if it is missing, the one file matching it case-insensitively (a template
    written on macOS or Windows, whose file systems ignore case, may spell a folder differently)."""
    path = base_dir / uri
    if path.exists():
        return path
    found = base_dir
    for part in Path(uri).parts:
        if part in (".", ".."):
            found = found / part
            continue
        try:
            matches = [child for child in found.iterdir() if child.name.lower() == part.lower()]
        except OSError:
            return path
        if len(matches) != 1:
            return path
        found = matches[0]
    return found


def _line_column(text: str, offset: int) -> tuple[int, int]:
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "MachineResource",
    "Template",
    "choose_machine",
    "TemplateMachine",
    "is_template",
    "read_template",
    "substitute_placeholders",
    "template_machines",
    "unresolved_resources",
]
