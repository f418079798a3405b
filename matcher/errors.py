"""The one exception hierarchy of matcher.

Every error a user can cause derives from :class:`MatcherError`; the CLI turns it into a
message and exit code 1, with no traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN_PROBLEMS = 50


class MatcherError(Exception):
    """Base class of every error matcher raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    ``row`` is the row number as a spreadsheet shows it (the header is row 1, the first
    record row 2); for JSON Lines it is the line number, for a JSON array the record number.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class DataError(MatcherError):
    """One or more problems in input data, all reported at once (capped, with a count)."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        if not problems:
            raise ValueError("DataError needs at least one problem")
        self.problems = problems
        self.total = max(total or len(problems), len(problems))
        super().__init__(self._render())

    def _render(self) -> str:
        shown = self.problems[:MAX_SHOWN_PROBLEMS]
        lines = [str(p) for p in shown]
        hidden = self.total - len(shown)
        if hidden > 0:
            lines.append(f"… and {hidden} more problem(s)")
        if self.total > 1:
            lines.insert(0, f"{self.total} problems in the input:")
        return "\n".join(lines)


class UsageProblem(MatcherError):
    """Options that do not fit together (the command line exits with 2, as for bad usage)."""


class ConfigError(MatcherError):
    """A program, scenario or analysis configuration is invalid."""


class OutputError(MatcherError):
    """An output folder cannot be written (it holds files matcher did not write, …)."""


class InfeasibleError(MatcherError):
    """A program cannot be satisfied; ``conflicts`` names the rules that clash."""

    def __init__(self, message: str, conflicts: list[str] | None = None) -> None:
        self.conflicts = conflicts or []
        super().__init__(message)


class ProblemCollector:
    """Collects problems up to a cap while counting all of them."""

    def __init__(self, cap: int = MAX_SHOWN_PROBLEMS) -> None:
        self.cap = cap
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.problems) < self.cap:
            self.problems.append(Problem(file, row, column, message))

    def add_many(self, count: int, sample: list[Problem]) -> None:
        """Count ``count`` problems, keeping those of ``sample`` that fit under the cap."""
        self.total += count
        room = self.cap - len(self.problems)
        self.problems.extend(sample[: max(room, 0)])

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            raise DataError(self.problems, self.total)


class SolveTimeout(MatcherError):
    """CP-SAT found no assignment at all within the time limit."""


class CertificateError(MatcherError):
    """A solution failed its independent check: a bug in matcher, never a user error."""


class HistoryError(MatcherError):
    """The history database cannot do what was asked (unknown run, bad import, …)."""
