"""Run the matcher CLI in child processes and SIGKILL them at chosen moments.

A helper of ``tests/test_crash_safety.py``, started as ``python -m tests.crashpoint``. It
imports matcher once, then for each request read from stdin (one JSON line: ``args`` as for
``matcher``, ``step`` and ``delay``) forks a child that runs the command, and replies with
one JSON line: the ``steps`` the child took, whether it was ``killed``, its exit ``code``.
Forking saves the second of imports each run would otherwise spend before doing anything.

A step is what changes what a later reader or run can see: starting a file in a staging
folder (``path``), a rename, a new link, removing a folder, and the end of a history
transaction (``commit``, just after it). With ``step = N`` the child kills itself just before
its N-th step (0: never); with ``delay = S`` this process kills it after S seconds. No hook
in matcher itself: the functions are wrapped here, in the child that is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def serve() -> None:
    from matcher.cli import main as matcher

    for line in sys.stdin:
        request = json.loads(line)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            os.dup2(2, 1)  # stdout carries the replies
            os._exit(child(matcher, request["args"], request.get("step", 0), write_end))
        os.close(write_end)
        if request.get("delay") is not None:
            time.sleep(request["delay"])
            os.kill(pid, signal.SIGKILL)  # harmless if it has exited: it is not reaped yet
        with os.fdopen(read_end) as steps:
            taken = steps.read().split()
        _, status = os.waitpid(pid, 0)
        reply = {
            "steps": taken,
            "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        }
        print(json.dumps(reply), flush=True)


def child(matcher: Callable[..., Any], args: list[str], target: int, steps: int) -> int:
    taken = 0

    def step(name: str) -> None:
        nonlocal taken
        taken += 1
        os.write(steps, f"{name}\n".encode())
        if taken == target:
            os.kill(os.getpid(), signal.SIGKILL)

    def before(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            step(function.__name__)
            return function(*args, **kwargs)

        return wrapper

    from matcher.history import History
    from matcher.io.write import OutputDir

    transaction = History.transaction

    @contextmanager
    def committed(self: History) -> Iterator[Any]:
        with transaction(self) as db:
            yield db
        step("commit")

    os.replace = before(os.replace)
    os.rename = before(os.rename)
    os.symlink = before(os.symlink)
    shutil.rmtree = before(shutil.rmtree)
    OutputDir.path = before(OutputDir.path)  # type: ignore[method-assign]
    History.transaction = committed  # type: ignore[method-assign]
    try:
        matcher(args, prog_name="matcher")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    return code


if __name__ == "__main__":
    serve()
