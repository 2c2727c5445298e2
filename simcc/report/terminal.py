"""User text on the terminal: shown as text, never interpreted.

Names in a scenario, paths and values echoed in messages come from users. Printed
through rich they could be read as console markup (``[bold]``, ``[/]``, ``[link=...]``:
wrong styles, or a ``MarkupError`` crash) or reach the terminal as control sequences
(``\\x1b[31m`` recolours it, ``\\x07`` rings it, a bidirectional override reorders the
line). :func:`visible` replaces every control character by a visible escape
(``\\x1b``, ``\\u202e``); :func:`markup_safe` also escapes markup for strings that are
parsed as markup (table cells, titles); :func:`plain` makes a :class:`~rich.text.Text`,
which is never parsed.
"""

from __future__ import annotations

import re

from rich.markup import escape
from rich.text import Text

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 control characters, DEL, and the bidirectional marks, embeddings,
overrides and isolates (which reorder what a terminal shows)."""


def visible(text: object, keep: str = "") -> str:
    """``str(text)`` with each control character (except those in ``keep``, e.g.
    ``"\\n"`` for a message of several lines) replaced by its escape: ``\\x1b``,
    ``\\x07``, ``\\u202e``."""

    def escape_one(match: re.Match) -> str:
        char = match.group()
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape_one, str(text))


def markup_safe(text: object) -> str:
    """``text`` for a place rich reads as markup (a table cell, a title, a caption):
    control characters but line breaks and tabs made visible and markup escaped, so
    that it prints as written."""
    return escape(visible(text, keep="\n\t"))


def plain(text: object, style: str = "") -> Text:
    """``text`` as a rich :class:`Text` (never parsed as markup) with its control
    characters made visible; line breaks and tabs are kept."""
    return Text(visible(text, keep="\n\t"), style=style)


def line(*parts: tuple[object, str] | object) -> Text:
    """A line of user text: each part a value, or ``(value, style)``; every value is
    shown as :func:`plain` text."""
    out = Text()
    for part in parts:
        value, style = part if isinstance(part, tuple) else (part, "")
        out.append_text(plain(value, style))
    return out
