"""Loading a definition from a dict, from text, or from a file (plain ASL or a CloudFormation/SAM
template holding one state machine), and the immutable ``Definition`` the engine compiles from."""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Union

from sfnsim.asl.loading import Locator, join_pointer, locator_for, parse_text
from sfnsim.asl.templates import (
    STATE_MACHINE_RESOURCE_TYPES,
    Template,
    TemplateMachine,
    is_template,
    looks_like_a_path,
    read_template,
    substitute_placeholders,
)
from sfnsim.asl.validation import validate_definition
from sfnsim.dataflow.jsontypes import json_value_problem
from sfnsim.errors import DefinitionError, Problem

if TYPE_CHECKING:
    from sfnsim.asl.models import StateMachine

Source = Union[dict, str, "os.PathLike[str]"]
__all__ = ["STATE_MACHINE_RESOURCE_TYPES", "Definition", "load_definition", "load_every_machine", "load_template_machine",
           "read_any_template"]


@dataclass(frozen=True)
class Definition:
    """A definition AWS would accept. ``raw`` is the definition as given; ``model`` its parsed form."""

    raw: dict
    query_language: str
    source_name: str | None = None
    state_machine_type: str | None = None  # "STANDARD" or "EXPRESS" when known (from a template)
    locator: Locator | None = None  # where values sit in the source text, when loaded from text
    machine: TemplateMachine | None = None  # from a template: its logical id, name, type and ARN
    template: Template | None = None  # ... and the template, where its sibling machines are

    @functools.cached_property
    def model(self) -> StateMachine:
        """The definition as the pydantic models parse it, built on first use: loading checks the
        shape without them when it can (``sfnsim.asl.shape``), and the engine runs from ``raw``."""
        from sfnsim.asl.models import StateMachine

        return StateMachine.model_validate(self.raw)

    @property
    def machine_name(self) -> str | None:
        """A template machine's name (its Name/StateMachineName property, else its logical id)."""
        return self.machine.name if self.machine is not None else None


def load_definition(
    source: Source,
    *,
    source_name: str | None = None,
    state_machine_type: str | None = None,
    state_machine: str | None = None,
    substitutions: Mapping[str, Any] | None = None,
) -> Definition:
    """Load and validate a definition; raises DefinitionError listing every problem found.

    ``source`` is a dict (the definition itself), a str (JSON or YAML *text*) or a path to a file.
    A file or text may also be a CloudFormation/SAM/CDK template (``sfnsim.asl.templates``): its
    only state machine, or the one ``state_machine`` names (logical id or name), intrinsics resolved.
    ``substitutions`` gives values only a deployment knows (parameters without a default, imports,
    ``${placeholders}``); in a plain definition it fills ``${name}`` placeholders.
    ``state_machine_type`` ("STANDARD"/"EXPRESS") enables the checks AWS makes for Express machines.
    """
    locator: Locator | None = None
    base_dir: Path | None = None
    if isinstance(source, dict):
        _check_json_data(source, None, source_name)  # before copying: a 10,000-deep dict must not overflow
        data: Any = copy.deepcopy(source)  # the Definition must not change when the caller's dict does
    elif isinstance(source, str):
        data, locator = parse_text(source, source=source_name)
        if not isinstance(data, (dict, list)) and looks_like_a_path(source):
            message = (
                f"Definition must be a valid JSON object: to load the file {source!r}, pass pathlib.Path({source!r})"
            )
            raise DefinitionError([Problem("", message, 1, 1, source_name)])
    elif isinstance(source, os.PathLike) and Path(source).suffix == ".tf":
        return load_template_machine(read_any_template(Path(source), substitutions=substitutions), state_machine,
                                     state_machine_type=state_machine_type)
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

    _check_json_data(data, locator, source_name)
    if is_template(data):
        template = Template(data, locator=locator, source_name=source_name, base_dir=base_dir,
                            substitutions=substitutions)
        return load_template_machine(template, state_machine, state_machine_type=state_machine_type)
    if state_machine is not None:
        # Choosing a machine only means something in a template; ignoring it would run the wrong file silently.
        message = (f"the state machine {state_machine!r} was asked for (machine=..., --machine), but this is a "
                   "single definition, not a template holding several machines")
        raise DefinitionError([Problem("", message, 1, 1, source_name)])
    if substitutions:
        data = substitute_placeholders(data, substitutions)
    return _checked(data, locator, source_name, state_machine_type)


def load_every_machine(source: Source, *, source_name: str | None = None, state_machine_type: str | None = None,
                       substitutions: Mapping[str, Any] | None = None) -> list[Definition]:
    """Every machine a source holds: the definition itself, or each machine of a template. Problems
    in all of them are raised together, each prefixed with its machine's logical id."""
    if not isinstance(source, os.PathLike):
        return [load_definition(source, source_name=source_name, state_machine_type=state_machine_type,
                                substitutions=substitutions)]
    path = Path(source)
    source_name = source_name or str(path)
    template: Any
    if path.suffix == ".tf":
        template = read_any_template(path, substitutions=substitutions)
    else:
        data, locator = parse_text(_read(path, source_name), source=source_name)
        _check_json_data(data, locator, source_name)
        if not is_template(data):
            return [load_definition(path, source_name=source_name, state_machine_type=state_machine_type,
                                    substitutions=substitutions)]
        template = Template(data, locator=locator, source_name=source_name, base_dir=path.parent,
                            substitutions=substitutions)
    loaded, problems = [], []
    for resource in template.resources:
        try:
            loaded.append(load_template_machine(template, resource.logical_id, state_machine_type=state_machine_type))
        except DefinitionError as error:
            problems += [dataclasses.replace(p, message=f"[{resource.logical_id}] {p.message}") for p in error.problems]
    if problems:
        raise DefinitionError(problems)
    if not loaded:
        template.choose(None)  # raises: the template has no state machine
    return loaded


def read_any_template(path: "os.PathLike[str]", *, substitutions: Mapping[str, Any] | None = None) -> Any:
    """A CloudFormation/SAM/CDK template, or a Terraform ``.tf`` file: its machines, found by
    ``resources`` / ``choose`` / ``machine`` (``sfnsim.asl.templates``, ``sfnsim.asl.terraform``)."""
    if Path(path).suffix == ".tf":
        from sfnsim.asl.terraform import TerraformFile  # Terraform's reader only for a .tf file

        return TerraformFile(Path(path), substitutions=substitutions)
    return read_template(Path(path), substitutions=substitutions)


def load_template_machine(template: Any, wanted: str | None = None, *,
                          state_machine_type: str | None = None) -> Definition:
    """One machine of a template (its only one, or the one ``wanted`` names), resolved and validated."""
    machine = template.machine(wanted)
    definition = _checked(machine.definition, machine.locator, machine.source_name,
                          state_machine_type or machine.type)
    return dataclasses.replace(definition, machine=machine, template=template)


def _checked(data: Any, locator: Locator | None, source_name: str | None,
             state_machine_type: str | None) -> Definition:
    problems = validate_definition(
        data, locator=locator, source_name=source_name, state_machine_type=state_machine_type
    )
    if problems:
        raise DefinitionError(problems)
    return Definition(
        raw=data,
        query_language=data.get("QueryLanguage", "JSONPath"),
        source_name=source_name,
        state_machine_type=state_machine_type,
        locator=locator,
    )


def _check_json_data(data: Any, locator: Locator | None, source_name: str | None) -> None:
    """A definition is JSON: refuse what JSON cannot hold (non-text keys, NaN, sets...) and nesting
    deeper than sfnsim walks, with the place, before anything recursive looks at it."""
    problem = json_value_problem(data)
    if problem is None:
        return
    path, message = problem.path, problem.message
    if len(path) > 16:  # nested far too deep: the outer steps locate it well enough
        path, message = path[:16], f"{message} (at depth {len(path)})"
    pointer = join_pointer("", *path)
    line, column = locator_for(locator)(pointer)
    raise DefinitionError([Problem(pointer, f"not JSON: {message}", line, column, source_name)])


def _read(path: Path, source_name: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DefinitionError(
            [Problem("", f"cannot read the file: {exc.strerror or exc}", source=source_name)]
        ) from None
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem("", f"the file is not UTF-8 text: {exc.reason}", source=source_name)]) from None
