"""The local review page of ``matcher review``: a Flask app over the history database.

It serves on 127.0.0.1 only, every request must carry the random token of the URL it printed,
and the page loads nothing from the network (styles are inline, there is no script from
elsewhere). What it shows and does comes from :mod:`matcher.workflows.review` and
:mod:`matcher.workflows.history`; each action is also a command.
"""

from matcher.review.app import ReviewServer, create_app, serve

__all__ = ["ReviewServer", "create_app", "serve"]
