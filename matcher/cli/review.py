"""``matcher review``: serve the local review page of the history database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from matcher.cli.options import by_option, common_options, db_option


@click.command()
@db_option("History database to review (never created).")
@click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where re-solved proposals write their outputs, one folder per run "
    "(default: review-out beside the database).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in your browser.")
@by_option
@common_options
def review(
    db_path: Path,
    out_root: Path | None,
    port: int,
    open_browser: bool,
    by: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Review proposals in a local web page: pairs and reasons, diff, lock, forbid, drop and
    re-solve, approve or reject.

    The page is served on 127.0.0.1 only, at an address with a random token (requests without
    it are refused), and loads nothing from the network. Stop it with Ctrl-C. Every action is
    also a command: assign --from-run --lock/--forbid/--drop, history commit, reject and diff.
    """
    from matcher.review import serve

    server = serve(db_path, out_root=out_root or db_path.parent / "review-out", by=by, port=port)
    if as_json:
        click.echo(json.dumps({"url": server.url, "db": str(db_path)}))
    elif not quiet:
        click.echo(f"review page: {server.url}\n(Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
