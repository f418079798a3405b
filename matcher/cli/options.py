"""What every ``matcher`` command shares: common options, dates, the console, pseudonym keys.

Kept apart from :mod:`matcher.cli` so that commands defined elsewhere (``matcher ingest``)
import them without importing the CLI itself.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from matcher.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
KEY_ENV = "MATCHER_PSEUDONYM_KEY"


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """A ``--as-of``/``--end-date`` value: an ISO date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected a date such as 2026-10-01, found {value!r}") from exc


def db_option(help: str = "History database.") -> Callable[[F], F]:
    """``--db PATH`` (default ``matcher.db``): the history database, as every command that
    reads or writes it names it."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default="matcher.db",
        show_default=True,
        help=help,
    )


def common_options(func: F) -> F:
    """Options every command takes."""
    func = click.option("--quiet", is_flag=True, help="Print nothing but errors.")(func)
    func = click.option(
        "--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout."
    )(func)
    return func


def pseudonym_options(func: F) -> F:
    """``--pseudonymize`` and ``--key-file``, for the commands that write ids."""
    func = click.option(
        "--key-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=f"File holding the pseudonymisation key (default: ${KEY_ENV}).",
    )(func)
    func = click.option(
        "--pseudonymize",
        is_flag=True,
        help=f"Replace ids by keyed pseudonyms (key: --key-file or ${KEY_ENV}).",
    )(func)
    return func


@contextmanager
def step(message: str, quiet: bool) -> Iterator[None]:
    """Show a long step: a spinner with the elapsed time on a terminal; elsewhere (a log, a
    scheduler) one line when the step ends, ``matcher: loading data (1.2 s)``."""
    if quiet:
        yield
        return
    started = time.perf_counter()
    if not sys.stderr.isatty():
        yield
        click.echo(f"matcher: {message} ({time.perf_counter() - started:.1f} s)", err=True)
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


@contextmanager
def counted(message: str, total: int, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """Show a long step of ``total`` parts: a bar with ``2/5`` and the elapsed time on a
    terminal; elsewhere one line when the step ends, as :func:`step`. Yields
    ``advance(done, total)``."""
    if quiet or not sys.stderr.isatty():
        with step(message, quiet):
            yield lambda _done, _total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        f"[bold]{message}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(message, total=total)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, refresh=True)

        yield advance


def echo(text: str, quiet: bool) -> None:
    """Print a human-readable summary on stderr unless ``--quiet``."""
    if not quiet:
        click.echo(text, err=True)


def optional_key(key_file: Path | None) -> Any:
    """The pseudonymisation key when one is given (``--key-file`` or ``$KEY_ENV``), else None:
    to read a pseudonymised analysis without pseudonymising the outputs."""
    if key_file is None and not os.environ.get(KEY_ENV):
        return None
    return pseudonymizer(True, key_file)


def pseudonymizer(enabled: bool, key_file: Path | None) -> Any:
    """The keyed pseudonymizer of ``--pseudonymize`` (key from the file or ``$KEY_ENV``)."""
    if not enabled:
        return None
    from matcher.privacy import Pseudonymizer

    if key_file is not None:
        return Pseudonymizer(key_file.read_bytes())
    key = os.environ.get(KEY_ENV)
    if not key:
        raise ConfigError(
            f"--pseudonymize needs a key: --key-file FILE or the {KEY_ENV} environment variable"
        )
    return Pseudonymizer(key.encode("utf-8"))


class Console:
    """The command line's :class:`~matcher.workflows.common.Reporter`: a spinner on a terminal
    while a step runs, a bar while a counted step does (nothing with ``--quiet``), and
    ``warning:`` lines on stderr, printed even with ``--quiet`` (they are about the data or the
    privacy of the outputs)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def step(self, message: str) -> AbstractContextManager[None]:
        return step(message, self.quiet)

    def progress(
        self, message: str, total: int
    ) -> AbstractContextManager[Callable[[int, int], None]]:
        return counted(message, total, self.quiet)

    def warn(self, message: str) -> None:
        click.echo(f"warning: {message}", err=True)


def os_user() -> str | None:
    """Who is running matcher, as the operating system says (``None`` when it cannot say)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return None


def by_option(func: F) -> F:
    """``--by NAME``: who did it, recorded in the history (default: the OS user)."""
    return click.option(
        "--by",
        "by",
        metavar="NAME",
        default=None,
        help="Who did it, recorded in the history (default: your user name).",
        callback=lambda _ctx, _param, value: value or os_user(),
    )(func)


def excel_option(func: F) -> F:
    """``--excel``: CSV outputs Excel on Windows opens as UTF-8 (a byte order mark first)."""
    return click.option(
        "--excel",
        is_flag=True,
        help="Start CSV files with a UTF-8 byte order mark, so that Excel on Windows shows "
        "names with accents right (other tools may then see it in the first column's name).",
    )(func)


def counts(values: object) -> str:
    """``{"isolated": 3, "peripheral": 5}`` as people read it: ``isolated 3, peripheral 5``.

    >>> counts({"isolated": 3, "new_hire": 1200})
    'isolated 3, new_hire 1,200'
    >>> counts({})
    'none'
    """
    if not isinstance(values, dict) or not values:
        return "none"
    return ", ".join(f"{name} {count:,}" for name, count in values.items())
