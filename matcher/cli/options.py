"""What every ``matcher`` command shares: common options, the spinner, pseudonym keys.

Kept apart from :mod:`matcher.cli` so that commands defined elsewhere (``matcher ingest``)
import them without importing the CLI itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from matcher.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
KEY_ENV = "MATCHER_PSEUDONYM_KEY"


def common_options(func: F) -> F:
    """Options every command takes."""
    func = click.option("--quiet", is_flag=True, help="Print nothing but errors.")(func)
    func = click.option(
        "--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout."
    )(func)
    return func


def pseudonym_options(func: F) -> F:
    """``--pseudonymize`` and ``--key-file``, for the commands that write ids."""
    func = click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(
        func
    )
    func = click.option(
        "--pseudonymize",
        is_flag=True,
        help=f"Replace ids by keyed pseudonyms (key: --key-file or ${KEY_ENV}).",
    )(func)
    return func


@contextmanager
def step(message: str, quiet: bool) -> Iterator[None]:
    """Show a spinner on a terminal while a long step runs."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


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
