"""What every workflow shares: how it reports progress and warnings, and the output-folder
check made before long work starts.

Workflows print nothing themselves: the command line hands them a :class:`Reporter` (a
spinner and ``warning:`` lines on stderr), a notebook or a test the silent one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from matcher.io.write import SHARED_FOLDER_WARNING, check_output_folder, foreign_files


class Reporter(Protocol):
    """Where a workflow says what it is doing and what the user should know."""

    def step(self, message: str) -> AbstractContextManager[None]:
        """A long step is running (the command line shows a spinner)."""
        ...

    def warn(self, message: str) -> None:
        """Something the user should read even with ``--quiet`` (no ``warning:`` prefix)."""
        ...


class Silent:
    """A :class:`Reporter` that keeps warnings in :attr:`warnings` and shows nothing."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    @contextmanager
    def _nothing(self) -> Iterator[None]:
        yield

    def step(self, message: str) -> AbstractContextManager[None]:
        """Nothing to show."""
        return self._nothing()

    def warn(self, message: str) -> None:
        """Keep the warning."""
        self.warnings.append(message)


Advance = Callable[[int, int], None]
"""``advance(done, total)``: how far a counted step has come."""


@contextmanager
def counted_step(reporter: Reporter, message: str, total: int) -> Iterator[Advance]:
    """A long step of ``total`` parts: yields ``advance(done, total)`` to call as parts finish.

    A reporter that has a ``progress(message, total)`` method (the command line's: a bar with
    "2/5" on a terminal) shows the count; any other shows its plain :meth:`Reporter.step`.
    """
    progress: Callable[[str, int], AbstractContextManager[Advance]] | None = getattr(
        reporter, "progress", None
    )
    if progress is not None:
        with progress(message, total) as advance:
            yield advance
        return
    with reporter.step(message):
        yield lambda _done, _total: None


def check_out_dir(out_dir: Path, ours: Collection[str], reporter: Reporter) -> None:
    """Fail now if ``out_dir`` cannot be written; warn when it is shared with the user's files
    (outputs are then replaced file by file, not switched as a whole).

    Raises
    ------
    OutputError
        When the folder cannot be written at all.
    """
    if check_output_folder(out_dir, ours=ours) == "shared":
        names = foreign_files(out_dir, ours)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        reporter.warn(
            SHARED_FOLDER_WARNING.format(out=out_dir, shown=shown or "the working folder")
        )


def warn_future(
    reporter: Reporter, count: int, interactions: Path | str, rejects: Path | None
) -> None:
    """Say that ``count`` rows dated in the future were left out (and where they are listed)."""
    if count:
        listed = f"; listed in {rejects}" if rejects is not None else ""
        reporter.warn(
            f"{interactions}: {count:,} interaction row(s) dated after tomorrow were "
            f"left out{listed} (give the analysis date, --as-of or [data] as_of, to keep them)"
        )
