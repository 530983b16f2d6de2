"""The walkthrough as terminal text: one chunk per stop, so ``--step`` can pause between them."""

from __future__ import annotations

import textwrap
import unicodedata

from sfnsim.i18n import _
from sfnsim.walk.details import MISSING
from sfnsim.walk.story import (
    Heading,
    Item,
    Same,
    Text,
    Value,
    pretty,
    tell,
    tell_ending,
    tell_opening,
)
from sfnsim.walk.walkthrough import Walkthrough

LABEL_WIDTH = 22
MAX_VALUE_LINES = 40  # longer payloads are cut in the terminal (Markdown and HTML show them whole)


def narrate_chunks(walkthrough: Walkthrough, *, state: str | None = None, width: int = 100) -> list[str]:
    """The opening, one chunk per state (or Map/Parallel entry and return), and the ending."""
    chunks = [_render(tell_opening(walkthrough), 0, width, title=_title(walkthrough))]
    for block in walkthrough.blocks(state):
        chunks.append(_render(tell(block), len(block.step.trail) // 2, width))
    chunks.append("\n" + _render(tell_ending(walkthrough), 0, width))
    for child in walkthrough.children if state is None else ():
        # A child execution (states:startExecution) has a history, and a walkthrough, of its own.
        chunks.append("\n" + _("Child execution started by {state}:").format(state=child.started_by) + "\n\n")
        chunks.extend(narrate_chunks(child, width=width))
    return chunks


def narrate(walkthrough: Walkthrough, *, state: str | None = None, width: int = 100) -> str:
    return "\n".join(narrate_chunks(walkthrough, state=state, width=width))


def _title(walkthrough: Walkthrough) -> str:
    return _("Walkthrough of {machine} (virtual time starts {start})").format(
        machine=walkthrough.machine_name, start=walkthrough.started_at.isoformat())


def _render(items: list[Item], depth: int, width: int, title: str | None = None) -> str:
    indent = "  " * depth
    lines: list[str] = [title, "=" * min(display_width(title), width)] if title else []
    for item in items:
        lines.extend(indent + line if line else "" for line in _item_lines(item, max(width - len(indent), 40)))
    return "\n".join(lines) + "\n"


def _item_lines(item: Item, width: int) -> list[str]:
    if isinstance(item, Heading):
        return _heading_lines(item, width)
    if isinstance(item, Text):
        first, rest = ("    • ", "      ") if item.bullet else ("  ", "  ")
        return wrap(plain(item), width - 2, first, rest) or [""]
    if isinstance(item, Same):
        return [f"  {pad_to(item.label, LABEL_WIDTH)}= {plain(Text(item.reason))}"]
    return _value_lines(item, width)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``textwrap.wrap`` for terminal columns: Chinese text has no spaces to break at and its
    characters take two columns, so it may break before any wide character."""
    if display_width(text) == len(text):
        return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest)
    lines: list[str] = []
    line, room = first, width - display_width(first)
    for word in _breakable(text):
        if display_width(word) > room and line.strip():
            lines.append(line.rstrip())
            line, room = rest, width - display_width(rest)
            word = word.lstrip()
        line += word
        room -= display_width(word)
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _breakable(text: str) -> list[str]:
    """Pieces a line may break between: words with their leading space, and single wide characters
    (a closing punctuation mark stays with the character before it)."""
    pieces: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in "WF"
        if pieces and (char in "，。；：、）」』！？" or not (wide or char == " " or _ends_wide(pieces[-1]))):
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _ends_wide(piece: str) -> bool:
    return unicodedata.east_asian_width(piece[-1]) in "WF"


def pad_to(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns."""
    return text + " " * max(0, columns - display_width(text))


def plain(text: Text) -> str:
    """Prose for a terminal: code stays in backquotes."""
    return "".join(f"`{part}`" if is_code else part for part, is_code in text.segments())


def _heading_lines(heading: Heading, width: int) -> list[str]:
    part = {"state": "", "enter": _(" (entering)"), "leave": _(" (done)")}[heading.part]
    left = f"── {heading.number}. {heading.name} · {heading.state_type}{part} "
    right = f" {heading.when}"
    lines = ["", left + "─" * max(3, width - display_width(left) - len(right)) + right]
    if heading.trail:
        lines.append("  " + _("in {trail}").format(trail=" › ".join(heading.trail)))
    return lines


def _value_lines(item: Value, width: int) -> list[str]:
    pad = " " * (2 + LABEL_WIDTH)
    room = width - len(pad)
    lines: list[str] = []
    first = f"  {pad_to(item.label, LABEL_WIDTH)}"
    if item.field and item.expression == item.value:  # a fixed value, such as a Pass state's Result
        first = f"{first}{item.field}: "
    elif item.field and item.expression is not MISSING:
        expression = _cut(pretty(item.expression, room - len(item.field) - 2).splitlines())
        lines.append(f"{first}{item.field}: {expression[0]}")
        lines.extend(pad + " " * (len(item.field) + 2) + line for line in expression[1:])
        first = pad[:-2] + "→ "
    body = _cut(pretty(item.value, room).splitlines())
    lines.append(first + body[0])
    lines.extend(pad + line for line in body[1:])
    return lines


def _cut(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_VALUE_LINES:
        return lines
    hidden = len(lines) - MAX_VALUE_LINES + 1
    return [*lines[: MAX_VALUE_LINES - 1],
            "… " + _("({count} more lines; --markdown or --html shows them all)").format(count=hidden)]
