"""Errors the library raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class OptimizerError(Exception):
    """A fault in the input or the environment that a planner can act on (no traceback)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what is wrong."""

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InputError(OptimizerError):
    """One or more problems in an input file, each naming file, row and field.

    Parameters
    ----------
    problems
        A message, a :class:`Problem`, or a list of problems found together.
    file, row, field
        Where the single problem is, when ``problems`` is a plain message.
    """

    def __init__(
        self,
        problems: str | Problem | list[Problem],
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, None if file is None else str(file), row, field)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class OutputError(OptimizerError):
    """The output cannot be written (folder not writable, disk full, folder busy with another run).

    Nothing was changed in the output folder; the command line exits with code 3.
    """
