"""Handlers that provably cannot read the clock: they need no frozen clock around their call.

Freezing the clock for a run's handlers starts freezegun, which scans every loaded module: most of
the time of a short run whose handlers are lambdas that only reshape their event. Such a handler is
called without it when its code can reach nothing but

* its arguments: the event (JSON values, copied for the call) and the TaskContext (text and numbers),
* literals, and defaults that are JSON scalars,
* a fixed set of builtins (``len``, ``sorted``, ``str``, ``ValueError`` ...), looked up in builtins
  the module has not shadowed, and
* the public methods of JSON values (``get``, ``items``, ``upper`` ...),

in its own code and in the code nested in it (comprehensions, inner lambdas). A closure, a global,
an import or any other name makes it "may read the clock", and it is called under the frozen clock
as before. The answer is kept per code object: a new lambda from the same source asks once.
"""

from __future__ import annotations

import builtins
from types import CodeType, FunctionType
from typing import Any

_SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float", "format",
    "frozenset", "hex", "int", "isinstance", "iter", "len", "list", "map", "max", "min", "next", "oct",
    "ord", "pow", "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple",
    "zip", "ArithmeticError", "AssertionError", "Exception", "IndexError", "KeyError", "LookupError",
    "RuntimeError", "StopIteration", "TypeError", "ValueError", "ZeroDivisionError",
})
_ORIGINALS = {name: getattr(builtins, name) for name in _SAFE_BUILTINS}
# Attribute names a handler may use on its event's values: public methods of the JSON types.
_JSON_METHODS = frozenset(name for kind in (dict, list, str, int, float, bool) for name in dir(kind)
                          if not name.startswith("_"))
_JSON_SCALARS = (type(None), bool, int, float, str)

_NAMES: dict[CodeType, frozenset[str] | None] = {}


def cannot_read_clock(handler: Any) -> bool:
    """True only when ``handler`` is a plain function whose code provably never reads the clock."""
    if type(handler) is not FunctionType or handler.__closure__:
        return False
    if handler.__defaults__ or handler.__kwdefaults__:
        defaults = (handler.__defaults__ or ()) + tuple((handler.__kwdefaults__ or {}).values())
        if not all(type(value) in _JSON_SCALARS for value in defaults):
            return False
    code = handler.__code__
    try:
        names = _NAMES[code]
    except KeyError:
        names = _safe_names(code)
        if len(_NAMES) >= 1024:
            _NAMES.clear()
        _NAMES[code] = names
    if names is None:
        return False
    # Checked at each call: the module may define (or shadow) a name after the function was made.
    module_globals, module_builtins = handler.__globals__, handler.__builtins__
    for name in names:
        if name in module_globals or (name in _ORIGINALS and module_builtins.get(name) is not _ORIGINALS[name]):
            return False
    return True


def _safe_names(code: CodeType) -> frozenset[str] | None:
    """The names ``code`` and the code nested in it use (globals, attributes and imports alike),
    or None when one is neither a safe builtin nor a JSON method."""
    names = set(code.co_names)
    if not names <= _SAFE_BUILTINS | _JSON_METHODS:
        return None
    for const in code.co_consts:
        if isinstance(const, CodeType):
            nested = _safe_names(const)
            if nested is None:
                return None
            names |= nested
    return frozenset(names)


__all__ = ["cannot_read_clock"]
