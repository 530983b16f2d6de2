"""The state machines of a Terraform file: ``resource "aws_sfn_state_machine" "NAME" { ... }`` (and
``module "NAME" { definition = ... }``, as the registry's step-functions module is used).

Read without a full HCL parser, for the forms pipeline repositories use: ``definition`` as a heredoc
(``<<EOF`` / ``<<-EOF``), as ``templatefile("path", { var = value, ... })``, as ``file("path")``,
or as ``local.NAME`` naming such a value in a ``locals`` block. ``name`` and ``type`` are read when
they are literal (or interpolate known values).

An interpolation ``${...}`` resolves from the user's ``substitutions`` (keyed by its expression,
e.g. ``var.lambda_function_arn`` or ``aws_iam_role.emr.arn``), a ``variable`` block's ``default``,
``path.module``, the ``aws_region``/``aws_caller_identity``/``aws_partition`` data sources, and the
ARN or name of an ``aws_lambda_function``/``aws_sfn_state_machine`` of the same file. Anything else is
an error naming the expression and its line; ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Any, Mapping

from sfnsim.asl.cloudformation import how_to_give
from sfnsim.asl.loading import parse_text
from sfnsim.asl.resource_arns import Place
from sfnsim.asl.templates import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    DEFAULT_STACK_NAME,
    MachineResource,
    TemplateMachine,
    choose_machine,
)
from sfnsim.errors import DefinitionError, Problem

_BLOCK = re.compile(r'^[ \t]*(resource|module|variable|locals|data)\b[ \t]*((?:"[^"\n]*"[ \t]*)*)\{', re.M)
_ATTRIBUTE = re.compile(r'^[ \t]*([A-Za-z_][\w-]*)[ \t]*=[ \t]*', re.M)
_HEREDOC = re.compile(r'<<(-?)([A-Za-z_]\w*)[ \t]*\n')
_INTERPOLATION = re.compile(r'(\$?)\$\{([^}]*)\}')


def is_terraform(path: Path) -> bool:
    return path.suffix == ".tf"


class TerraformFile:
    """A ``.tf`` file's state machines, resolved on demand (the interface of ``templates.Template``)."""

    def __init__(self, path: Path, *, substitutions: Mapping[str, Any] | None = None,
                 region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> None:
        self.path = path
        self.source_name = str(path)
        try:
            self.text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(0, f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
        self.substitutions = dict(substitutions or {})
        self.place = Place(region, account, DEFAULT_STACK_NAME)
        self._lines = [0] + [m.end() for m in re.finditer(r"\n", self.text)]
        self.blocks = [(m.group(1), re.findall(r'"([^"]*)"', m.group(2)), *_body(self.text, m.end()))
                       for m in _BLOCK.finditer(self.text)]
        self._resources: list[MachineResource] | None = None

    # -- the Template interface ---------------------------------------------------------------------
    @property
    def resources(self) -> list[MachineResource]:
        if self._resources is None:
            self._resources = []
            for kind, labels, start, end in self.blocks:
                if _is_machine(self.text, kind, labels, start, end):
                    attributes = _attributes(self.text, start, end)
                    name = self._string(attributes["name"]) if "name" in attributes else labels[-1]
                    machine_type = self._string(attributes["type"]).upper() if "type" in attributes else "STANDARD"
                    arn = self.place.arn("states", f"stateMachine:{name}")
                    self._resources.append(MachineResource(labels[-1], name, machine_type, arn))
        return self._resources

    def choose(self, wanted: str | None) -> MachineResource:
        return choose_machine(self.resources, wanted, lambda message: self._error(0, message))

    def machine(self, wanted: str | None = None) -> TemplateMachine:
        chosen = self.choose(wanted)
        start, end = next((s, e) for kind, labels, s, e in self.blocks
                          if _is_machine(self.text, kind, labels, s, e) and labels[-1] == chosen.logical_id)
        attributes = _attributes(self.text, start, end)
        if "definition" not in attributes:
            raise self._error(start, f"aws_sfn_state_machine.{chosen.logical_id} has no definition")
        text, source_name, where = self._definition(attributes["definition"])
        definition, locator = parse_text(text, source=source_name)
        if not isinstance(definition, dict):
            raise self._error(where, "the definition is not a JSON object")
        return TemplateMachine(chosen.logical_id, chosen.name, chosen.type, chosen.arn, definition, source_name,
                               locator if source_name != self.source_name else None)

    def machines(self) -> list[TemplateMachine]:
        return [self.machine(m.logical_id) for m in self.resources]

    # -- values ---------------------------------------------------------------------------------------
    def _definition(self, at: int) -> tuple[str, str, int]:
        """The definition's text, the file it is in, and where it starts."""
        rest = self.text[at:]
        heredoc = _HEREDOC.match(rest)
        if heredoc:
            return self._interpolate(_heredoc(self.text, at + heredoc.end(), heredoc.group(2)), at + heredoc.end()), \
                self.source_name, at
        local = re.match(r'local\.(\w+)', rest)
        if local:
            for kind, _labels, start, end in self.blocks:
                found = _attributes(self.text, start, end).get(local.group(1)) if kind == "locals" else None
                if found is not None:
                    return self._definition(found)
            raise self._error(at, f"no locals block defines {local.group(0)}")
        call = re.match(r'(templatefile|file)\(', rest)
        if call:
            arguments = _balanced(self.text, at + call.end() - 1, "(", ")")
            path_text, _, variables = arguments.partition(",")
            path = self.path.parent / self._string_at(path_text.strip(), at).replace(str(self.path.parent) + "/", "")
            try:
                body = path.read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise self._error(at, f"{call.group(1)}: cannot read {path}: {exc.strerror or exc}") from None
            if call.group(1) == "file":
                return body, str(path), at
            values = self._map(variables.strip(), at)
            return _template_vars(body, values, str(path)), str(path), at
        if rest.startswith("jsonencode("):
            raise self._error(at, "definition = jsonencode({...}) is not read by sfnsim: write the definition as a "
                                  "heredoc, templatefile() or file()")
        raise self._error(at, "definition must be a heredoc, templatefile(...), file(...) or local.NAME")

    def _string(self, at: int) -> str:
        return self._string_at(self.text[at:].split("\n", 1)[0].strip(), at)

    def _string_at(self, expression: str, at: int) -> str:
        if expression.startswith('"'):
            closing = expression.find('"', 1)
            return self._interpolate(expression[1:closing], at)
        return _text(self._value(expression.rstrip(","), at))

    def _map(self, text: str, at: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        body = text.strip()[1:-1] if text.strip().startswith("{") else ""
        for item in re.split(r"[\n,]", body):
            key, equals, value = item.partition("=")
            if equals:
                values[key.strip().strip('"')] = self._string_at(value.strip(), at)
        return values

    def _interpolate(self, text: str, at: int) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(1):  # $${...} is a literal ${...}
                return match.group(0)[1:]
            return _text(self._value(match.group(2).strip(), at + match.start()))

        return _INTERPOLATION.sub(replace, text)

    def _value(self, expression: str, at: int) -> Any:
        if expression in self.substitutions:
            return self.substitutions[expression]
        place = self.place
        known = {
            "path.module": str(self.path.parent), "path.root": str(self.path.parent),
            "data.aws_region.current.name": place.region, "data.aws_region.current.region": place.region,
            "data.aws_caller_identity.current.account_id": place.account,
            "data.aws_partition.current.partition": place.partition,
        }
        if expression in known:
            return known[expression]
        variable = re.fullmatch(r"var\.(\w+)", expression)
        if variable:
            for kind, labels, start, end in self.blocks:
                if kind == "variable" and labels == [variable.group(1)]:
                    default = _attributes(self.text, start, end).get("default")
                    if default is not None:
                        return self._string(default)
        reference = re.fullmatch(r"(aws_lambda_function|aws_sfn_state_machine)\.(\w+)\.(arn|function_name|name)", expression)
        if reference:
            kind, label, attribute = reference.groups()
            name = self._resource_name(kind, label)
            if name is not None:
                if attribute != "arn":
                    return name
                return place.arn("lambda", f"function:{name}") if kind == "aws_lambda_function" else \
                    place.arn("states", f"stateMachine:{name}")
        raise self._error(at, f"${{{expression}}} is not known; {how_to_give(expression)}")

    def _resource_name(self, kind: str, label: str) -> str | None:
        for block_kind, labels, start, end in self.blocks:
            if block_kind == "resource" and labels == [kind, label]:
                attributes = _attributes(self.text, start, end)
                key = "function_name" if kind == "aws_lambda_function" else "name"
                return self._string(attributes[key]) if key in attributes else label
        return None

    def _error(self, at: int, message: str) -> DefinitionError:
        line = bisect.bisect_right(getattr(self, "_lines", [0]), at)
        column = at - self._lines[line - 1] + 1 if hasattr(self, "_lines") else None
        return DefinitionError([Problem("", message, line if at else None, column if at else None, self.source_name)])


def _is_machine(text: str, kind: str, labels: list[str], start: int, end: int) -> bool:
    """An ``aws_sfn_state_machine`` resource, or a module given a ``definition`` (the registry's
    terraform-aws-modules/step-functions and the like)."""
    if kind == "resource":
        return len(labels) == 2 and labels[0] == "aws_sfn_state_machine"
    return kind == "module" and len(labels) == 1 and "definition" in _attributes(text, start, end)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _body(text: str, start: int) -> tuple[int, int]:
    """The block body's span: from after ``{`` to its matching ``}`` (heredocs and strings skipped)."""
    depth, position = 1, start
    while position < len(text) and depth:
        heredoc = _HEREDOC.match(text, position)
        if heredoc:
            end = re.compile(rf"^[ \t]*{heredoc.group(2)}[ \t]*$", re.M).search(text, heredoc.end())
            position = end.end() if end else len(text)
            continue
        char = text[position]
        if char == '"':
            position = _string_end(text, position)
            continue
        if char == "#" or text.startswith("//", position):
            position = text.find("\n", position) if "\n" in text[position:] else len(text)
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        position += 1
    return start, position - 1


def _string_end(text: str, start: int) -> int:
    position = start + 1
    while position < len(text) and text[position] != '"':
        position += 2 if text[position] == "\\" else 1
    return position + 1


def _attributes(text: str, start: int, end: int) -> dict[str, int]:
    """The block's own attributes (not those of nested blocks): name -> offset of its value."""
    found: dict[str, int] = {}
    depth, position = 0, start
    for match in _ATTRIBUTE.finditer(text, start, end):
        # depth of the attribute: braces opened and not closed since the block started
        segment = text[position:match.start()]
        depth += _brace_balance(segment)
        position = match.start()
        if depth == 0 and match.group(1) not in found:
            found[match.group(1)] = match.end()
    return found


def _brace_balance(segment: str) -> int:
    segment = re.sub(r'"(?:\\.|[^"\\])*"', "", segment)
    segment = re.sub(r"<<-?(\w+)\n.*?^[ \t]*\1[ \t]*$", "", segment, flags=re.S | re.M)
    return segment.count("{") + segment.count("[") - segment.count("}") - segment.count("]")


def _heredoc(text: str, start: int, tag: str) -> str:
    end = re.compile(rf"^[ \t]*{tag}[ \t]*$", re.M).search(text, start)
    return text[start:end.start() if end else len(text)]


def _balanced(text: str, start: int, opening: str, closing: str) -> str:
    depth, position = 0, start
    while position < len(text):
        char = text[position]
        if char == '"':
            position = _string_end(text, position)
            continue
        depth += 1 if char in opening + "{" else -1 if char in closing + "}" else 0
        position += 1
        if depth == 0:
            return text[start + 1:position - 1]
    return text[start + 1:]


def _template_vars(body: str, values: Mapping[str, Any], source_name: str) -> str:
    """``templatefile``: ``${name}`` from the given map; ``$${`` is a literal ``${``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        name = match.group(2).strip()
        if name not in values:
            line = body.count("\n", 0, match.start()) + 1
            raise DefinitionError([Problem("", f"${{{name}}} is not among templatefile's variables "
                                               f"({', '.join(values) or 'none'})", line, None, source_name)])
        return _text(values[name])

    return _INTERPOLATION.sub(replace, body)
