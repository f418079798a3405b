"""``matcher examples``: copy the example program and scenario files to a folder.

The examples live in ``scenarios/`` at the root of the repository; the package reaches them
as ``matcher/scenarios`` (a link to that folder in a checkout, so an editable install reads
them in place; a real folder in the wheel, which setuptools fills through the link). Their
``[data]`` paths name the demo's org (``../demo-out/org/…``); the copies name it beside them
(``org/…``), where ``--with-org`` generates it.
"""

from __future__ import annotations

import re
import time
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from matcher.errors import ConfigError, OutputError
from matcher.io.write import atomic_output
from matcher.workflows.common import Reporter, Silent
from matcher.workflows.generate import generate_files

DEMO_PREFIX = "../demo-out/"
HEADER = (
    "# Copied by `matcher examples`: the [data] paths below are relative to this file. They\n"
    "# name the org `matcher examples --with-org` generates beside it (or `matcher generate\n"
    "# --out org`); point them at your own employees.csv and interactions.csv instead.\n"
)
ORG_FILES = ("employees.csv", "interactions.csv", "truth.csv")
DATA_FILES = ("employees", "interactions", "survey")
_DATA_PATH = re.compile(r'^(\s*[A-Za-z_]+\s*=\s*")' + re.escape(DEMO_PREFIX), re.MULTILINE)


def example_files() -> list[Traversable]:
    """The example files the package ships, in name order.

    Raises
    ------
    ConfigError
        When this installation has none (a package built without them).
    """
    folder = resources.files("matcher") / "scenarios"
    found = (
        sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
        if folder.is_dir()
        else []
    )
    if not found:
        raise ConfigError(
            f"this installation of matcher has no example files (looked in {folder}); "
            "reinstall it, or copy scenarios/*.toml from the source repository"
        )
    return found


def local_copy(text: str) -> str:
    """An example file's text as it reads from the folder it is copied to: ``[data]`` paths
    into the demo's output (``../demo-out/org/employees.csv``) lose that prefix
    (``org/employees.csv``), and a header says so.

    >>> print(local_copy('[data]\\nemployees = "../demo-out/org/employees.csv"\\n'))
    # Copied by `matcher examples`: ...
    [data]
    employees = "org/employees.csv"
    """
    return HEADER + _DATA_PATH.sub(r"\1", text)


def copy_examples(
    out_dir: Path,
    *,
    force: bool = False,
    with_org: bool = False,
    employees: int = 2000,
    seed: int = 7,
    reporter: Reporter | None = None,
) -> dict[str, Any]:
    """Copy the example program and scenario files to ``out_dir`` (all or none), with their
    ``[data]`` paths relative to it, and with ``with_org`` generate the org they read.

    Parameters
    ----------
    out_dir
        Folder to copy to (created when missing).
    force
        Overwrite files of the same names (and an org in ``out_dir/org``); without it, they are
        refused and nothing is written.
    with_org
        Also write ``employees.csv``, ``interactions.csv`` and ``truth.csv`` of a generated
        org to ``out_dir/org``, as ``matcher generate`` does.
    employees, seed
        The generated org's size and seed (the demo's by default).
    reporter
        Progress and warnings (default: silent).

    Returns
    -------
    dict
        The summary ``matcher examples --json`` prints: the folder, the program files (for
        ``matcher assign``) and scenario files (for ``matcher simulate``) copied, the org
        generated (or ``None``), and per file the ``[data]`` paths that do not exist yet.

    Raises
    ------
    OutputError
        When a file to write exists already and ``force`` is not given.
    """
    reporter = reporter or Silent()
    started = time.perf_counter()
    files = example_files()
    names = [f.name for f in files]
    if not force:
        taken = [n for n in names if (out_dir / n).exists()]
        if with_org:
            taken += [f"org/{n}" for n in ORG_FILES if (out_dir / "org" / n).exists()]
        if taken:
            raise OutputError(
                f"{out_dir} already holds {', '.join(taken)}; nothing was copied "
                "(give --force to overwrite)"
            )
    texts = {f.name: local_copy(f.read_text(encoding="utf-8")) for f in files}
    with atomic_output(out_dir) as out:
        for name, text in texts.items():
            out.path(name).write_text(text, encoding="utf-8")
    org = None
    if with_org:
        org = generate_files(employees, seed, out_dir / "org", reporter=reporter)
    documents = {name: tomllib.loads(text) for name, text in texts.items()}
    return {
        "out": str(out_dir),
        "programs": [n for n, doc in documents.items() if "scenario" not in doc],
        "scenarios": [n for n, doc in documents.items() if "scenario" in doc],
        "org": None if org is None else {k: org[k] for k in ("employees", "interactions", "out")},
        "missing": {
            name: paths
            for name, doc in documents.items()
            if (paths := _missing(doc.get("data", {}), out_dir))
        },
        "seconds": round(time.perf_counter() - started, 2),
    }


def _missing(data: dict[str, Any], out_dir: Path) -> list[str]:
    """The ``[data]`` files (relative to ``out_dir``) that do not exist."""
    paths = [data[key] for key in DATA_FILES if isinstance(data.get(key), str)]
    return [path for path in paths if not (out_dir / path).exists()]
