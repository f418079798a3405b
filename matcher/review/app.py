"""The review page: routes that render :mod:`matcher.workflows.review` and call its actions.

Pending edits (pairs to lock, forbid or drop) are kept per run in the server's memory until
HR re-solves; every other state lives in the history database.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, render_template, request, url_for
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from matcher.assignment.edits import EDIT_KINDS, PairEdits
from matcher.errors import MatcherError
from matcher.workflows.history import commit_run, diff_runs, reject_run
from matcher.workflows.review import (
    coverages,
    proposal,
    proposals,
    resolve,
    resolve_command,
)

HOST = "127.0.0.1"


@dataclass
class ReviewState:
    """What the app needs: the database, where re-solves write, who acts, the token."""

    db: Path
    out_root: Path
    by: str | None
    token: str
    drafts: dict[str, PairEdits] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def create_app(db: Path, *, out_root: Path, by: str | None, token: str | None = None) -> Flask:
    """The review app over ``db``; re-solves write their outputs under ``out_root``."""
    app = Flask(__name__)
    state = ReviewState(db=db, out_root=out_root, by=by, token=token or secrets.token_urlsafe(24))
    app.config["REVIEW"] = state
    _guard(app, state)
    _pages(app, state)
    _actions(app, state)
    return app


def _guard(app: Flask, state: ReviewState) -> None:
    """The token on every request, the headers on every response, and the error pages."""

    @app.before_request
    def _check_token() -> None:
        given = request.args.get("token") or request.form.get("token") or ""
        if not secrets.compare_digest(given, state.token):
            abort(403)

    @app.after_request
    def _no_network(response: Response) -> Response:
        # nothing on the page may come from elsewhere, and nothing may frame it
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.errorhandler(403)
    def _forbidden(_error: Any) -> tuple[str, int]:
        return "forbidden: open the address matcher review printed (it carries the token)", 403

    @app.errorhandler(MatcherError)
    def _failed(error: MatcherError) -> tuple[str, int]:
        return render_template("error.html", token=state.token, message=str(error)), 400


def _pages(app: Flask, state: ReviewState) -> None:
    """The pages that only read: the proposals, one run, and the difference of two runs."""

    @app.get("/")
    def index() -> str:
        groups = proposals(state.db)
        runs = [run for group in groups.values() for run in group]
        return render_template(
            "index.html", token=state.token, groups=groups, coverage=coverages(state.db, runs)
        )

    @app.get("/run")
    def run_page() -> str:
        run_id = request.args.get("id", "")
        shown = proposal(state.db, run_id)
        draft = state.drafts.get(run_id, PairEdits())
        return render_template(
            "run.html",
            token=state.token,
            p=shown,
            draft=draft,
            command=resolve_command(state.db, run_id, draft) if draft else "",
            message=request.args.get("message", ""),
        )

    @app.get("/diff")
    def diff() -> str:
        shown = diff_runs(state.db, request.args.get("a", ""), request.args.get("b", ""))
        return render_template("diff.html", token=state.token, d=shown)


def _actions(app: Flask, state: ReviewState) -> None:
    """The forms that act: draft edits, re-solve, approve, reject; each redirects to the run."""

    def go(endpoint: str, **values: Any) -> Response:
        return redirect(url_for(endpoint, token=state.token, **values), code=303)

    @app.post("/run/edit")
    def edit() -> Response:
        run_id = request.form.get("id", "")
        kind = request.form.get("kind", "")
        seeker = request.form.get("seeker", "").strip()
        provider = request.form.get("provider", "").strip()
        if kind not in EDIT_KINDS or not seeker or not provider:
            abort(400)
        proposal(state.db, run_id)  # the run exists
        with state.lock:
            draft = state.drafts.get(run_id, PairEdits())
            state.drafts[run_id] = draft.then(PairEdits(**{kind: ((seeker, provider),)}))
        return go("run_page", id=run_id)

    @app.post("/run/clear")
    def clear() -> Response:
        run_id = request.form.get("id", "")
        with state.lock:
            state.drafts.pop(run_id, None)
        return go("run_page", id=run_id)

    @app.post("/run/resolve")
    def resolve_run() -> Response:
        run_id = request.form.get("id", "")
        with state.lock:
            draft = state.drafts.get(run_id, PairEdits())
            new_id = resolve(state.db, run_id, draft, out_root=state.out_root, by=state.by)
            state.drafts.pop(run_id, None)
        return go("run_page", id=new_id, message=f"re-solved {run_id} as {new_id}")

    @app.post("/run/commit")
    def commit() -> Response:
        run_id = request.form.get("id", "")
        commit_run(state.db, run_id, state.by)
        return go("run_page", id=run_id, message=f"approved {run_id}")

    @app.post("/run/reject")
    def reject() -> Response:
        run_id = request.form.get("id", "")
        reject_run(state.db, run_id, state.by, request.form.get("note", ""))
        return go("run_page", id=run_id, message=f"rejected {run_id}")


class ReviewServer:
    """The review app served on 127.0.0.1 (``port`` 0: a free one) until :meth:`shutdown`."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(HOST, port, app, threaded=True)
        self.port = self._server.server_port

    @property
    def url(self) -> str:
        """The page's address, token included."""
        token = self.app.config["REVIEW"].token
        return f"http://{HOST}:{self.port}/?token={token}"

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (from another thread) or an interrupt."""
        self._server.serve_forever()

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (for tests and notebooks)."""
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


def serve(
    db: Path, *, out_root: Path, by: str | None, port: int = 0, token: str | None = None
) -> ReviewServer:
    """A :class:`ReviewServer` for ``db`` bound to 127.0.0.1 (not yet serving).

    Raises
    ------
    HistoryError
        When there is no database at ``db``.
    """
    proposals(db)  # fail now, not on the first request, when there is no database
    return ReviewServer(create_app(db, out_root=out_root, by=by, token=token), port)
