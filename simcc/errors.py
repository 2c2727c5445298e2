"""Exceptions raised by simcc.

Every error a user can cause derives from :class:`SimccError`; the command line turns
it into a one-paragraph message and exit code 2 (invalid input) without a traceback.
"""

from __future__ import annotations

import reprlib
from typing import Any

SHOWN_CHARS = 200
"""Longest user value echoed in a message (longer ones are cut, with their length)."""
PROBLEM_CHARS = 1000
"""Longest path or message of one scenario problem (a safety net over :func:`shown`)."""

_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxstring, _SHORT_REPR.maxother = 3, SHOWN_CHARS, SHOWN_CHARS
_SHORT_REPR.maxlist = _SHORT_REPR.maxdict = _SHORT_REPR.maxtuple = _SHORT_REPR.maxset = 8


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, at most about ``limit`` characters: long text is cut
    and followed by ``... (N characters)``, large lists and mappings are abbreviated
    (without building their whole repr, so an alias bomb costs nothing here)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = _SHORT_REPR.repr(value) if isinstance(value, list | dict | tuple | set) \
        else repr(value)
    return clip(text, limit)


def clip(text: str, limit: int = PROBLEM_CHARS) -> str:
    """``text`` cut to ``limit`` characters, followed by ``... (N characters)``."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"



class SimccError(Exception):
    """Base class of all errors simcc raises on purpose."""


class ScenarioError(SimccError):
    """A scenario is invalid.

    ``problems`` is a list of ``(path, message)`` pairs; ``path`` is the dotted place in
    the YAML document (``agents.team.count``) or ``""`` for the document itself.
    ``source`` names the file when the scenario came from one.
    """

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None):
        self.problems = [(clip(path), clip(message)) for path, message in problems]
        self.source = source
        super().__init__(self.message())

    def __reduce__(self):
        """Pickle by the constructor arguments, so the error crosses process boundaries
        (worker processes, Dask workers) intact."""
        return self.__class__, (self.problems, self.source)

    def message(self) -> str:
        """The problems as readable lines: ``path: message``."""
        head = f"invalid scenario {self.source}" if self.source else "invalid scenario"
        lines = [f"{path}: {msg}" if path else msg for path, msg in self.problems]
        if len(lines) == 1:
            return f"{head}: {lines[0]}"
        return head + ":\n" + "\n".join(f"  - {line}" for line in lines)


class ModelError(SimccError):
    """The engine reached a state it must never reach (a bug or a broken policy)."""


class SimccWarning(UserWarning):
    """Base class of the warnings simcc issues: the input is valid but likely wrong."""


class ScenarioWarning(SimccWarning):
    """A valid scenario whose run would make little sense (no agent while customers
    call, more work than agents, ...). ``path`` is the place in the YAML document
    (``agents.team.shifts[0]``), ``message`` the problem; ``str()`` gives both."""

    def __init__(self, path: str, message: str):
        super().__init__(path, message)
        self.path, self.message = path, message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message
