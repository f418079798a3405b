"""What several commands share: parsing a date, warning about shared output folders and
future-dated interactions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click


def warn_if_shared(out_dir: Path, ours: Any) -> None:
    """Fail now if ``out_dir`` cannot be written; warn when it is shared with the user's files
    (outputs then replaced file by file, not switched as a whole)."""
    from matcher.io.write import SHARED_FOLDER_WARNING, check_output_folder, foreign_files

    if check_output_folder(out_dir, ours=ours) == "shared":
        names = foreign_files(out_dir, ours)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        click.echo(
            "warning: "
            + SHARED_FOLDER_WARNING.format(out=out_dir, shown=shown or "the working folder"),
            err=True,
        )


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected a date such as 2026-10-01, found {value!r}") from exc


def warn_future(count: int, interactions: Path | str, rejects: Path | None) -> None:
    """Say on stderr, even with ``--quiet``, that rows dated in the future were left out."""
    if count:
        listed = f"; listed in {rejects}" if rejects is not None else ""
        click.echo(
            f"warning: {interactions}: {count:,} interaction row(s) dated after tomorrow were "
            f"left out{listed} (give the analysis date, --as-of or [data] as_of, to keep them)",
            err=True,
        )
