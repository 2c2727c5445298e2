"""Exceptions raised by simcc.

Every error a user can cause derives from :class:`SimccError`; the command line turns
it into a one-paragraph message and exit code 2 (invalid input) without a traceback.
"""

from __future__ import annotations


class SimccError(Exception):
    """Base class of all errors simcc raises on purpose."""


class ScenarioError(SimccError):
    """A scenario is invalid.

    ``problems`` is a list of ``(path, message)`` pairs; ``path`` is the dotted place in
    the YAML document (``agents.team.count``) or ``""`` for the document itself.
    ``source`` names the file when the scenario came from one.
    """

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None):
        self.problems = list(problems)
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
