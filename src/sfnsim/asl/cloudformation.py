"""CloudFormation intrinsic functions, evaluated the way a deployment would evaluate them.

``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` (both forms), ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::If`` with the template's ``Conditions``, ``Fn::FindInMap``, ``Fn::GetAZs``, ``Fn::Base64``,
``Fn::ToJsonString``, ``Fn::Length`` and the pseudo parameters (``AWS::Partition``, ``AWS::Region``,
``AWS::AccountId``, ``AWS::StackName``, ``AWS::StackId``, ``AWS::URLSuffix``, ``AWS::NoValue``...).
Resources resolve to the names and ARNs AWS gives them (``sfnsim.asl.resource_arns``).

Values only a deployment knows (a parameter without a ``Default``, ``Fn::ImportValue``, an attribute
sfnsim cannot predict) come from the user's ``substitutions``. Anything still unknown becomes a
``Problem`` that names it and points at it in the template: never a literal left in place.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable, Mapping

from sfnsim.asl.loading import join_pointer
from sfnsim.asl.resource_arns import RESOURCE_TYPES, Place, physical_name
from sfnsim.errors import Problem

# Ref AWS::NoValue: the property (or list element) is removed.
NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# The APIs SAM's transform creates for functions' Api/HttpApi events, which templates may Ref.
_SAM_IMPLICIT_APIS = {"ServerlessRestApi": "AWS::Serverless::Api", "ServerlessHttpApi": "AWS::Serverless::HttpApi"}
_SUB_HINT = "substitutions={{{name!r}: ...}} (CLI: --substitute {name}=VALUE)"


def how_to_give(name: str) -> str:
    """The sentence telling a user how to supply a value sfnsim cannot know."""
    return "give it with " + _SUB_HINT.format(name=name)


class Unresolvable(Exception):
    """An intrinsic whose value cannot be known; caught by ``Resolver.resolve`` and recorded."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


class Resolver:
    """Evaluates intrinsics in one template, recording every value it cannot resolve."""

    def __init__(self, template: dict[str, Any], place: Place, substitutions: Mapping[str, Any],
                 locate: Callable[[str], tuple[int | None, int | None]], source_name: str | None) -> None:
        self.template = template
        self.place = place
        self.substitutions = dict(substitutions)
        self.locate = locate
        self.source_name = source_name
        self.problems: list[Problem] = []
        # ${name} placeholders a later step fills (DefinitionSubstitutions): Fn::Sub leaves them.
        self.keep: frozenset[str] = frozenset()
        self._conditions: dict[str, bool] = {}
        self._resolving: set[Any] = set()  # names being resolved, to report a reference cycle

    # -- recording problems ---------------------------------------------------------------------
    def problem(self, pointer: str, message: str) -> None:
        line, column = self.locate(pointer)
        self.problems.append(Problem(pointer, message, line, column, self.source_name))

    def resolve(self, value: Any, pointer: str) -> Any:
        """``value`` with its intrinsics evaluated; each one that cannot be is recorded (and left in place,
        for the caller raises once it has collected every problem)."""
        if isinstance(value, dict) and not (len(value) == 1 and next(iter(value)) in _FUNCTIONS):
            result = {key: self.resolve(item, join_pointer(pointer, key)) for key, item in value.items()}
            return {key: item for key, item in result.items() if item is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item, join_pointer(pointer, i)) for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        try:
            return self.evaluate(value, pointer)
        except Unresolvable as missing:
            self.problem(missing.pointer, missing.message)
            return value

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, value: Any, pointer: str) -> Any:
        """Like ``resolve`` but raises ``Unresolvable`` at the first value it cannot know."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                function = _FUNCTIONS.get(key)
                if function is not None:
                    return function(self, argument, join_pointer(pointer, key))
            result = {}
            for key, item in value.items():
                resolved = self.evaluate(item, join_pointer(pointer, key))
                if resolved is not NO_VALUE:
                    result[key] = resolved
            return result
        if isinstance(value, list):
            items = (self.evaluate(item, join_pointer(pointer, i)) for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        return value

    def ref(self, name: Any, pointer: str) -> Any:
        if not isinstance(name, str):
            raise Unresolvable(pointer, f"Ref takes a name (a parameter, a resource or AWS::...), got {name!r}")
        if name in self.substitutions:
            return self.substitutions[name]
        pseudo = self.pseudo_parameter(name)
        if pseudo is not None:
            return pseudo
        parameters = self.template.get("Parameters")
        if isinstance(parameters, dict) and name in parameters:
            return self._parameter(name, parameters[name], pointer)
        resource = self.resources.get(name)
        if isinstance(resource, dict):
            kind = RESOURCE_TYPES.get(str(resource.get("Type")))
            physical = self.resource_name(name, pointer)
            return kind.ref(self.place, physical) if kind is not None else physical
        if name in _SAM_IMPLICIT_APIS and "Transform" in self.template:
            return RESOURCE_TYPES[_SAM_IMPLICIT_APIS[name]].ref(self.place, name)
        raise Unresolvable(
            pointer, f"Ref {name!r}: the template has no parameter or resource named {name!r}; {how_to_give(name)}"
        )

    def get_att(self, argument: Any, pointer: str) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise Unresolvable(pointer, f"Fn::GetAtt takes [LogicalId, Attribute], got {argument!r}")
        logical_id = argument[0]
        attribute = self.evaluate(argument[1], join_pointer(pointer, 1))
        key = f"{logical_id}.{attribute}"
        if key in self.substitutions:
            return self.substitutions[key]
        resource = self.resources.get(logical_id)
        if not isinstance(resource, dict):
            raise Unresolvable(pointer, f"Fn::GetAtt {key}: the template has no resource {logical_id!r}; {how_to_give(key)}")
        resource_type = str(resource.get("Type"))
        kind = RESOURCE_TYPES.get(resource_type)
        attribute_value = kind.attributes.get(str(attribute)) if kind is not None else None
        if attribute_value is None:
            raise Unresolvable(
                pointer,
                f"Fn::GetAtt {key}: sfnsim cannot know the {attribute} of a {resource_type}; {how_to_give(key)}",
            )
        return attribute_value(self.place, self.resource_name(logical_id, pointer))

    def sub(self, argument: Any, pointer: str) -> str:
        """``Fn::Sub``; names in ``self.keep`` (the machine's DefinitionSubstitutions) are left for later."""
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text = self.evaluate(argument[0], join_pointer(pointer, 0))
            variables = {
                name: self.evaluate(item, join_pointer(pointer, 1, name)) for name, item in argument[1].items()
            }
        else:
            text = self.evaluate(argument, pointer)
        if not isinstance(text, str):
            raise Unresolvable(pointer, f"Fn::Sub takes a string (or [string, {{variables}}]), got {text!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} writes ${Literal}
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                return _text(variables[name], pointer, name)
            if name in self.keep:
                return match.group(0)
            logical_id, dot, _ = name.partition(".")
            if dot and logical_id in self.resources and name not in self.substitutions:
                return _text(self.get_att(name, pointer), pointer, name)
            if not self.knows(name):
                raise Unresolvable(pointer, f"Fn::Sub: ${{{name}}} is not a parameter, resource or variable; {how_to_give(name)}")
            return _text(self.ref(name, pointer), pointer, name)

        return _PLACEHOLDER.sub(replace, text)

    def knows(self, name: str) -> bool:
        """Whether ``Ref name`` can be answered (a substitution, pseudo parameter, parameter or resource)."""
        parameters = self.template.get("Parameters")
        return (
            name in self.substitutions
            or self.pseudo_parameter(name) is not None
            or (isinstance(parameters, dict) and name in parameters)
            or name in self.resources
            or (name in _SAM_IMPLICIT_APIS and "Transform" in self.template)
        )

    def pseudo_parameter(self, name: str) -> Any:
        place = self.place
        values = {
            "AWS::Partition": place.partition,
            "AWS::Region": place.region,
            "AWS::AccountId": place.account,
            "AWS::StackName": place.stack_name,
            "AWS::StackId": place.stack_id,
            "AWS::URLSuffix": place.url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        return values.get(name)

    @property
    def resources(self) -> dict[str, Any]:
        resources = self.template.get("Resources")
        return resources if isinstance(resources, dict) else {}

    def resource_name(self, logical_id: str, pointer: str) -> str:
        """The physical name of a resource: its name property (resolved) or its logical id."""
        resource = self.resources[logical_id]
        resource_type = str(resource.get("Type"))
        properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        kind = RESOURCE_TYPES.get(resource_type)
        name: Any = None
        if kind is not None and kind.name_property and kind.name_property in properties:
            if logical_id in self._resolving:
                raise Unresolvable(pointer, f"the name of {logical_id!r} refers to itself")
            self._resolving.add(logical_id)
            try:
                name = self.evaluate(
                    properties[kind.name_property],
                    join_pointer("/Resources", logical_id, "Properties", kind.name_property),
                )
            finally:
                self._resolving.discard(logical_id)
        return physical_name(resource_type, logical_id, properties, name)

    def _parameter(self, name: str, declaration: Any, pointer: str) -> Any:
        if not isinstance(declaration, dict) or "Default" not in declaration:
            raise Unresolvable(pointer, f"Ref {name!r}: the parameter {name!r} has no Default; {how_to_give(name)}")
        value = declaration["Default"]
        parameter_type = str(declaration.get("Type", "String"))
        if isinstance(value, str) and (parameter_type == "CommaDelimitedList" or parameter_type.startswith("List<")):
            return [item.strip() for item in value.split(",")]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # CloudFormation hands every parameter value over as text
        return value

    # -- conditions -----------------------------------------------------------------------------
    def condition(self, name: Any, pointer: str) -> bool:
        if not isinstance(name, str):
            raise Unresolvable(pointer, f"a condition is named by a string, got {name!r}")
        if name in self._conditions:
            return self._conditions[name]
        conditions = self.template.get("Conditions")
        if not isinstance(conditions, dict) or name not in conditions:
            raise Unresolvable(pointer, f"the template has no condition named {name!r}")
        if ("condition", name) in self._resolving:
            raise Unresolvable(pointer, f"the condition {name!r} refers to itself")
        self._resolving.add(("condition", name))
        try:
            value = self._truth(conditions[name], join_pointer("/Conditions", name))
        finally:
            self._resolving.discard(("condition", name))
        self._conditions[name] = value
        return value

    def _truth(self, expression: Any, pointer: str) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, argument),) = expression.items()
            inner = join_pointer(pointer, key)
            if key == "Condition":
                return self.condition(argument, inner)
            if key == "Fn::Equals" and isinstance(argument, list) and len(argument) == 2:
                left, right = (self.evaluate(item, join_pointer(inner, i)) for i, item in enumerate(argument))
                return _comparable(left) == _comparable(right)
            if key in ("Fn::And", "Fn::Or") and isinstance(argument, list):
                values = [self._truth(item, join_pointer(inner, i)) for i, item in enumerate(argument)]
                return all(values) if key == "Fn::And" else any(values)
            if key == "Fn::Not" and isinstance(argument, list) and len(argument) == 1:
                return not self._truth(argument[0], join_pointer(inner, 0))
        if isinstance(expression, bool):
            return expression
        raise Unresolvable(pointer, f"not a condition: {json.dumps(expression)}")


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _text(value: Any, pointer: str, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise Unresolvable(pointer, f"${{{name}}} is {json.dumps(value)}, not a string, and cannot be substituted into text")


# --------------------------------------------------------------------------------------------
# The functions, by their long-form key


def _ref(resolver: Resolver, argument: Any, pointer: str) -> Any:
    return resolver.ref(argument, pointer)


def _get_att(resolver: Resolver, argument: Any, pointer: str) -> Any:
    return resolver.get_att(argument, pointer)


def _sub(resolver: Resolver, argument: Any, pointer: str) -> Any:
    return resolver.sub(argument, pointer)


def _list_argument(resolver: Resolver, argument: Any, pointer: str, function: str, size: int) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != size:
        raise Unresolvable(pointer, f"{function} takes a list of {size} values, got {json.dumps(argument)}")
    return [resolver.evaluate(item, join_pointer(pointer, i)) for i, item in enumerate(argument)]


def _join(resolver: Resolver, argument: Any, pointer: str) -> str:
    delimiter, values = _list_argument(resolver, argument, pointer, "Fn::Join", 2)
    if not isinstance(delimiter, str) or not isinstance(values, list):
        raise Unresolvable(pointer, "Fn::Join takes [delimiter, [values...]]")
    return delimiter.join(_text(value, pointer, "Fn::Join value") for value in values)


def _select(resolver: Resolver, argument: Any, pointer: str) -> Any:
    index, values = _list_argument(resolver, argument, pointer, "Fn::Select", 2)
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise Unresolvable(pointer, f"Fn::Select: the index {index!r} is not a number") from None
    if not isinstance(values, list) or not 0 <= position < len(values):
        raise Unresolvable(pointer, f"Fn::Select: index {position} is outside {json.dumps(values)}")
    return values[position]


def _split(resolver: Resolver, argument: Any, pointer: str) -> list[str]:
    delimiter, text = _list_argument(resolver, argument, pointer, "Fn::Split", 2)
    if not isinstance(delimiter, str) or not isinstance(text, str):
        raise Unresolvable(pointer, "Fn::Split takes [delimiter, string]")
    return text.split(delimiter)


def _if(resolver: Resolver, argument: Any, pointer: str) -> Any:
    if not isinstance(argument, list) or len(argument) != 3:
        raise Unresolvable(pointer, "Fn::If takes [condition name, value if true, value if false]")
    chosen = 1 if resolver.condition(argument[0], join_pointer(pointer, 0)) else 2
    return resolver.evaluate(argument[chosen], join_pointer(pointer, chosen))


def _find_in_map(resolver: Resolver, argument: Any, pointer: str) -> Any:
    map_name, top, second = _list_argument(resolver, argument, pointer, "Fn::FindInMap", 3)
    mappings = resolver.template.get("Mappings")
    try:
        return mappings[map_name][top][second]  # type: ignore[index]
    except (KeyError, TypeError):
        raise Unresolvable(pointer, f"Fn::FindInMap: Mappings has no {map_name}.{top}.{second}") from None


def _get_azs(resolver: Resolver, argument: Any, pointer: str) -> list[str]:
    region = resolver.evaluate(argument, pointer) or resolver.place.region
    return [f"{region}{zone}" for zone in "abc"]


def _base64(resolver: Resolver, argument: Any, pointer: str) -> str:
    text = _text(resolver.evaluate(argument, pointer), pointer, "Fn::Base64 value")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _to_json_string(resolver: Resolver, argument: Any, pointer: str) -> str:
    return json.dumps(resolver.evaluate(argument, pointer), separators=(",", ":"))


def _length(resolver: Resolver, argument: Any, pointer: str) -> int:
    value = resolver.evaluate(argument, pointer)
    if not isinstance(value, list):
        raise Unresolvable(pointer, "Fn::Length takes a list")
    return len(value)


def _import_value(resolver: Resolver, argument: Any, pointer: str) -> Any:
    name = resolver.evaluate(argument, pointer)
    if isinstance(name, str) and name in resolver.substitutions:
        return resolver.substitutions[name]
    raise Unresolvable(pointer, f"Fn::ImportValue {name!r}: another stack's export; {how_to_give(str(name))}")


def _unsupported(function: str) -> Callable[[Resolver, Any, str], Any]:
    def refuse(resolver: Resolver, argument: Any, pointer: str) -> Any:
        raise Unresolvable(pointer, f"{function} is not supported by sfnsim's template reader")

    return refuse


_FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Length": _length,
    "Fn::ImportValue": _import_value,
    "Fn::Cidr": _unsupported("Fn::Cidr"),
    "Fn::Transform": _unsupported("Fn::Transform"),
    "Fn::ForEach": _unsupported("Fn::ForEach"),
}
