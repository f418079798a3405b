"""Writing outputs: atomic output folders, formula-safe CSV (:mod:`matcher.io.cells`), JSON
summaries.

Two ways to write a folder of outputs:

- :func:`published_folder` (``analyze`` and ``assign``): the whole folder switches at once.
  Each run writes into a new version folder beside ``--out`` (``<out>.versions/<version>/``)
  and then points the symbolic link ``<out>`` at it with one ``os.replace``, which is atomic
  on POSIX: a reader, or a run killed at any moment, sees all the old files or all the new
  ones, never a mix. ``<out>/assignments.csv`` stays readable at its path through the link.
- :func:`atomic_output` (``generate``, ``simulate``, ``ingest``, whose ``--out`` may be a
  folder shared with the user's own files): files are staged and renamed into place one by
  one, atomic per file.

Staging folders are named ``.staging-<pid>-<random>`` and locked (``flock``) while in use, so a
later run can tell those left by a killed run (process gone, lock free) and remove them.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pcsv

from matcher.errors import OutputError
from matcher.io.cells import BOM as BOM
from matcher.io.cells import FORMULA_STARTS as FORMULA_STARTS
from matcher.io.cells import csv_cell, csv_column, formula_safe_table
from matcher.io.cells import formula_safe as formula_safe

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock: process ids alone decide
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".staging-"
MANIFEST = "manifest.json"
"""Written last into every published folder: each file's size and SHA-256."""
VERSIONS_SUFFIX = ".versions"
VERSIONS_MARKER = "MATCHER-VERSIONS.txt"
MIGRATING = ".migrating"
LEGACY_STAGING_AGE = 3600.0
"""Seconds after which a staging folder of an older matcher (no process id in its name) is stale."""


class OutputDir:
    """Files staged in a hidden folder and moved into place together by :func:`atomic_output`."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self.names: list[str] = []
        self.bom = False
        """Start CSV files with a UTF-8 byte order mark (``--excel``: Excel on Windows then
        reads them as UTF-8)."""

    def path(self, name: str) -> Path:
        self.names.append(name)
        return self.staging / name

    def write_csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        encoding = "utf-8-sig" if self.bom else "utf-8"
        with self.path(name).open("w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            columns = [csv_column(list(column)) for column in zip(*rows, strict=True)]
            writer.writerows(zip(*columns, strict=True))

    def write_table(self, name: str, table: pa.Table) -> None:
        """Write a (large) arrow table as CSV; text columns are made formula-safe first."""
        if not self.bom:
            pcsv.write_csv(formula_safe_table(table), self.path(name))
            return
        with self.path(name).open("wb") as handle:
            handle.write(BOM)
            pcsv.write_csv(formula_safe_table(table), handle)

    @contextmanager
    def table_writer(self, name: str) -> Iterator[Callable[[pa.Table], None]]:
        """A CSV written a table at a time (all with the same columns): the same file as
        :meth:`write_table` of the tables joined, without holding them all at once."""
        with self.path(name).open("wb") as handle:
            if self.bom:
                handle.write(BOM)
            writer: pcsv.CSVWriter | None = None

            def write(table: pa.Table) -> None:
                nonlocal writer
                safe = formula_safe_table(table)
                if writer is None:
                    writer = pcsv.CSVWriter(handle, safe.schema)
                writer.write_table(safe)

            try:
                yield write
            finally:
                if writer is not None:
                    writer.close()

    def write_json(self, name: str, data: Any) -> None:
        with self.path(name).open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False, default=str)
            handle.write("\n")


@contextmanager
def atomic_output(directory: str | Path) -> Iterator[OutputDir]:
    """Stage outputs and move them into ``directory`` only if the block succeeds.

    Files are written to a hidden staging folder inside ``directory`` and renamed into place
    (``os.replace``, atomic per file on one file system) after everything is written; on error
    the staging folder is removed and ``directory`` keeps what it had. Staging folders left
    in ``directory`` by killed runs are removed first.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(target)
    with _staging(target) as staging:
        out = OutputDir(staging)
        yield out
        for name in out.names:
            os.replace(staging / name, target / name)


@contextmanager
def _staging(parent: Path) -> Iterator[Path]:
    """A new staging folder in ``parent``, locked while the block runs, removed after it."""
    while True:  # not tempfile.mkdtemp: a published folder gets the usual permissions
        staging = parent / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            staging.mkdir()
            break
        except FileExistsError:  # pragma: no cover - one chance in four billion
            continue
    lock = _lock(staging, wait=True)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _unlock(lock)


def _lock(path: Path, *, wait: bool) -> int | None:
    """An ``flock`` on the folder ``path``; ``None`` when another process holds it."""
    handle = os.open(path, os.O_RDONLY)
    if fcntl is None:  # pragma: no cover
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(handle)
        return None
    return handle


def _unlock(handle: int | None) -> None:
    if handle is not None:
        os.close(handle)  # closing the last descriptor releases the flock


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    handle = _lock(path, wait=True)
    try:
        yield
    finally:
        _unlock(handle)


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - os.kill would terminate it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _in_use(staging: Path) -> bool:
    """Whether a live process owns the staging folder ``staging`` (its pid, or its lock)."""
    pid_text = staging.name.removeprefix(STAGING_PREFIX).partition("-")[0]
    if not pid_text.isdigit():  # written by an older matcher: judge by age
        try:
            return time.time() - staging.stat().st_mtime < LEGACY_STAGING_AGE
        except FileNotFoundError:
            return False
    pid = int(pid_text)
    if pid == os.getpid() or _pid_alive(pid):
        return True
    try:
        lock = _lock(staging, wait=False)
    except FileNotFoundError:
        return False
    _unlock(lock)
    return lock is None


def clean_stale_staging(folder: Path) -> list[str]:
    """Remove the staging folders in ``folder`` that killed runs left; returns their names."""
    removed = []
    for entry in sorted(folder.glob(f"{STAGING_PREFIX}*")):
        if entry.is_dir() and not entry.is_symlink() and not _in_use(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


# ----------------------------------------------------------------- published folders


@contextmanager
def published_folder(directory: str | Path, *, ours: Collection[str]) -> Iterator[OutputDir]:
    """Write a folder of outputs that replaces ``directory`` as a whole, or not at all.

    The block writes into a new version folder ``<directory>.versions/<version>/``; when it
    succeeds, a :data:`MANIFEST` is added and the symbolic link ``directory`` is switched to
    the new version in one ``os.replace``. Earlier versions and folders of killed runs are
    then removed. On error the new version is removed and ``directory`` is left as it was.

    ``directory`` may be a plain folder written by an older matcher: when it holds only
    names in ``ours`` (and staging folders), it is moved into the versions folder and
    replaced by the link. A folder shared with files matcher did not write (or the working
    folder itself) cannot be switched as a whole without moving the user's files: there the
    outputs are renamed into place one by one, as before (:func:`atomic_output`), after the
    block, and :func:`check_output_folder` says so. A link to a folder elsewhere is followed,
    and that folder is used.

    Raises
    ------
    OutputError
        When the versions folder holds files matcher did not write.
    """
    if check_output_folder(directory, ours=ours) == "shared":
        with atomic_output(directory) as shared:
            yield shared
        return
    out = _output_path(Path(directory))
    versions = out.with_name(out.name + VERSIONS_SUFFIX)
    _claim_versions_folder(out, versions)
    published = False
    try:
        with _locked(versions):
            _finish_migration(out, versions)
            _migrate_plain_folder(out, versions, ours)
            _remove_old_versions(out, versions)
        with _staging(versions) as staging:
            folder = OutputDir(staging)
            yield folder
            _write_manifest(folder)
            _fsync(staging)
            with _locked(versions):
                version = versions / _version_name(staging)
                os.rename(staging, version)
                try:
                    _switch(out, version)
                finally:
                    published = _current(out, versions) == version.name
                    if not published:
                        shutil.rmtree(version, ignore_errors=True)
                _remove_old_versions(out, versions)
    finally:
        if not published:
            with _locked(versions):
                _drop_if_empty(out, versions)


SHARED_FOLDER_WARNING = (
    "--out {out} also holds files matcher did not write ({shown}): the outputs are replaced "
    "file by file there, so a run killed halfway can leave old and new files side by side. "
    "Give matcher a folder of its own to have them switched all at once."
)


def check_output_folder(
    directory: str | Path, *, ours: Collection[str]
) -> Literal["versioned", "shared"]:
    """How :func:`published_folder` will write ``directory``: ``"versioned"`` (switched as a
    whole) or ``"shared"`` (a folder that also holds the user's files: file by file).

    Raises :class:`OutputError` now, before long work, when it cannot write there at all.
    Touches nothing.
    """
    out = _output_path(Path(directory))
    if out.parent == out or Path.cwd().resolve().is_relative_to(out.resolve()):
        return "shared"  # the working folder (or one above it) is never moved into versions
    versions = out.with_name(out.name + VERSIONS_SUFFIX)
    if versions.exists() and not _ours_or_empty(versions):
        raise _foreign_versions_folder(out, versions)
    if out.is_symlink() or not out.exists():
        return "versioned"
    if not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder")
    return "shared" if foreign_files(out, ours) else "versioned"


def foreign_files(directory: str | Path, ours: Collection[str]) -> list[str]:
    """Names in a plain output folder that matcher did not write."""
    out = Path(directory)
    if out.is_symlink() or not out.is_dir():
        return []
    return sorted(
        p.name
        for p in out.iterdir()
        if p.name not in ours and not p.name.startswith(STAGING_PREFIX)
    )


def _output_path(directory: Path) -> Path:
    out = Path(os.path.abspath(directory))
    if out.is_symlink() and not _points_into_versions(out):
        out = Path(os.path.realpath(out))  # a link of the user's own: write where it points
    return out


def _points_into_versions(out: Path) -> bool:
    target = Path(os.readlink(out))
    return not target.is_absolute() and target.parts[:1] == (out.name + VERSIONS_SUFFIX,)


def _claim_versions_folder(out: Path, versions: Path) -> None:
    versions.parent.mkdir(parents=True, exist_ok=True)
    try:
        versions.mkdir()
    except FileExistsError:
        if not _ours_or_empty(versions):
            raise _foreign_versions_folder(out, versions) from None
        if (versions / VERSIONS_MARKER).is_file():
            return
    (versions / VERSIONS_MARKER).write_text(
        f"Made by matcher. {out.name} is a link to the current outputs in this folder; "
        "older versions are removed by the next run.\n",
        encoding="utf-8",
    )


def _ours_or_empty(versions: Path) -> bool:
    # the marker is the first thing written into a new versions folder: a listing that
    # shows anything else shows the marker too, unless the folder is not ours
    if not versions.is_dir() or versions.is_symlink():
        return False
    names = {p.name for p in versions.iterdir()}
    return not names or VERSIONS_MARKER in names


def _foreign_versions_folder(out: Path, versions: Path) -> OutputError:
    return OutputError(
        f"{versions} exists and was not made by matcher; matcher keeps the versions of the "
        f"output folder {out} there: move it away or choose another --out"
    )


def _migrate_plain_folder(out: Path, versions: Path, ours: Collection[str]) -> None:
    """Move a plain output folder of an older matcher into ``versions`` and link to it."""
    check_output_folder(out, ours=ours)
    if out.is_symlink() or not out.exists():
        return
    if not any(out.iterdir()):
        out.rmdir()
        return
    legacy = versions / f"{_stamp()}-{os.getpid()}-migrated"
    (versions / MIGRATING).write_text(legacy.name, encoding="utf-8")
    _fsync(versions)
    os.rename(out, legacy)
    _switch(out, legacy)
    (versions / MIGRATING).unlink()
    clean_stale_staging(legacy)


def _finish_migration(out: Path, versions: Path) -> None:
    """Complete a migration that a killed run left half done (folder moved, link missing)."""
    marker = versions / MIGRATING
    if not marker.is_file():
        return
    legacy = versions / marker.read_text(encoding="utf-8").strip()
    if not out.exists() and not out.is_symlink() and legacy.is_dir():
        _switch(out, legacy)
    marker.unlink()


def _switch(out: Path, version: Path) -> None:
    """Point the link ``out`` at ``version`` in one atomic rename."""
    link = version.parent / f".link-{os.getpid()}-{version.name}"
    try:
        os.symlink(f"{version.parent.name}/{version.name}", link)
    except OSError as exc:  # e.g. Windows without the right to make links
        raise OutputError(f"cannot make the link {out} to the new outputs ({exc})") from exc
    try:
        os.replace(link, out)
    except OSError as exc:
        link.unlink(missing_ok=True)
        raise OutputError(f"cannot switch {out} to the new outputs ({exc})") from exc
    _fsync(out.parent)


def _current(out: Path, versions: Path) -> str | None:
    if out.is_symlink() and _points_into_versions(out):
        return Path(os.readlink(out)).name
    return None


def _remove_old_versions(out: Path, versions: Path) -> None:
    """Remove every version but the current one, and what killed runs left (lock held)."""
    keep = {VERSIONS_MARKER, MIGRATING, _current(out, versions)}
    for entry in versions.iterdir():
        if entry.name in keep:
            continue
        if entry.name.startswith(STAGING_PREFIX) and _in_use(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _drop_if_empty(out: Path, versions: Path) -> None:
    """After a failed first run: remove a versions folder that holds nothing of value."""
    if _current(out, versions) is None and {p.name for p in versions.iterdir()} <= {
        VERSIONS_MARKER
    }:
        shutil.rmtree(versions, ignore_errors=True)


def _version_name(staging: Path) -> str:
    return f"{_stamp()}-{staging.name.removeprefix(STAGING_PREFIX)}"


def _stamp() -> str:
    return dt.datetime.now(tz=dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _write_manifest(folder: OutputDir) -> None:
    files = {}
    for name in folder.names:
        digest = hashlib.sha256()
        with (folder.staging / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
            os.fsync(handle.fileno())
            files[name] = {"bytes": handle.tell(), "sha256": digest.hexdigest()}
    manifest = {
        "written_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    folder.write_json(MANIFEST, manifest)
    with (folder.staging / MANIFEST).open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync(folder: Path) -> None:
    """Make a folder's entries (renames, new files) durable."""
    if sys.platform == "win32":  # pragma: no cover - folders cannot be opened there
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_csv_file(
    path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False
) -> None:
    """Write one CSV file atomically (a temporary file renamed into place); ``bom``: start it
    with a UTF-8 byte order mark, for Excel."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
