"""Read a zip archive entry by entry, without holding its directory in memory.

:mod:`zipfile` loads the whole central directory as ``ZipInfo`` objects (about 600 bytes per
entry: 180 MiB for a Slack export of 300,000 day files). This reader walks the central
directory from disk instead, so memory does not grow with the number of files. It reads what
Slack and other exporters write: stored or deflated entries, ZIP64 archives; encrypted entries
and other compression methods are reported as errors.

Crafted archives are refused with a :class:`ZipError` that names the entry: an entry whose
data runs into the next one or past the central directory (the overlapping-entries zip
bomb), one that inflates past :data:`MAX_ENTRY_SIZE` or more than :data:`MAX_RATIO` times its
compressed size (a zip bomb), damaged headers and names that are not UTF-8.
"""

from __future__ import annotations

import os
import struct
import zlib
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

END = struct.Struct("<4s4H2LH")  # end of central directory
END_SIGNATURE = b"PK\x05\x06"
LOCATOR = struct.Struct("<4sLQL")  # ZIP64 end of central directory locator
LOCATOR_SIGNATURE = b"PK\x06\x07"
END64 = struct.Struct("<4sQ2H2L4Q")  # ZIP64 end of central directory
END64_SIGNATURE = b"PK\x06\x06"
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
CENTRAL_SIGNATURE = b"PK\x01\x02"
LOCAL = struct.Struct("<4s2B4HL2L2H")
LOCAL_SIGNATURE = b"PK\x03\x04"
STORED, DEFLATED = 0, 8
UTF8_NAMES = 0x800
ENCRYPTED = 0x1
MASK32 = 0xFFFFFFFF
MAX_COMMENT = 0xFFFF
MAX_ENTRY_SIZE = 256 << 20
"""Largest inflated size of one entry, in bytes (a Slack day file is rarely over a few MiB)."""
MAX_RATIO = 200
"""Largest ratio of inflated to compressed size of an entry over :data:`RATIO_FLOOR` bytes
(JSON and iCalendar text compress 5 to 20 times; a zip bomb about 1,000 times)."""
RATIO_FLOOR = 1 << 20


class ZipError(ValueError):
    """The archive cannot be read (the message says why)."""


class Entry(NamedTuple):
    """One member: its name, where its local header is, its sizes, method and CRC (a named
    tuple: millions are made, one per day file of a large export, on each walk)."""

    name: str
    offset: int
    compressed: int
    size: int
    method: int
    flags: int
    crc: int


def _directory(handle: BinaryIO) -> tuple[int, int, int]:
    """``(offset, size, entries)`` of the central directory."""
    handle.seek(0, os.SEEK_END)
    length = handle.tell()
    tail_start = max(0, length - (END.size + MAX_COMMENT))
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(END_SIGNATURE)
    if at < 0 or len(tail) - at < END.size:
        raise ZipError("not a zip file (no end of central directory)")
    _, _disk, _start, _here, entries, size, offset, _comment = END.unpack_from(tail, at)
    if MASK32 in (size, offset) or entries == 0xFFFF:
        locator_at = tail_start + at - LOCATOR.size
        if locator_at < 0:
            raise ZipError("damaged ZIP64 archive (no locator)")
        handle.seek(locator_at)
        signature, _, end64_at, _ = LOCATOR.unpack(handle.read(LOCATOR.size))
        if signature != LOCATOR_SIGNATURE:
            raise ZipError("damaged ZIP64 archive (no locator)")
        handle.seek(end64_at)
        record = END64.unpack(handle.read(END64.size))
        if record[0] != END64_SIGNATURE:
            raise ZipError("damaged ZIP64 archive (no end record)")
        entries, size, offset = record[7], record[8], record[9]
    if offset + size > length:
        raise ZipError("damaged archive (the central directory lies past the end of the file)")
    return offset, size, entries


DIRECTORY_CHUNK = 1 << 20
"""Bytes of the central directory read at a time."""


def _refill(
    handle: BinaryIO, chunk: bytes, at: int, left: int, need: int
) -> tuple[bytes, int, int]:
    """``chunk[at:]`` followed by the next bytes of the directory, at least ``need`` of them
    in all: ``(chunk, 0, bytes still unread)``.

    Raises
    ------
    ZipError
        When the directory ends before ``need`` bytes.
    """
    more = handle.read(min(left, max(DIRECTORY_CHUNK, need)))
    chunk = chunk[at:] + more
    left -= len(more)
    if len(chunk) < need:
        raise ZipError("damaged archive (central directory cut short)")
    return chunk, 0, left


def _zip64(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset from the ZIP64 extra field where the 32-bit ones are saturated.

    Raises
    ------
    ZipError
        When the extra field is cut short or lacks a value that the 32-bit field defers to it.
    """
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, at)
        if at + 4 + length > len(extra):
            raise ZipError("damaged archive (an extra field runs past its header)")
        if tag == 1:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            try:
                if size == MASK32:
                    size = next(values)
                if compressed == MASK32:
                    compressed = next(values)
                if offset == MASK32:
                    offset = next(values)
            except StopIteration:
                raise ZipError("damaged archive (ZIP64 extra field too short)") from None
            return size, compressed, offset
        at += 4 + length
    raise ZipError("damaged archive (ZIP64 sizes without a ZIP64 extra field)")


class ZipReader:
    """Iterate the entries of a zip file in directory order and read them one at a time.

    Opening walks the central directory once and refuses the archive when an entry's data
    would overlap another's or run past the directory (16 bytes per entry are kept for that
    check); with ``check=False`` that walk waits for :meth:`scan` or the first :meth:`read`
    (a caller that only lists names, or that scans for some entries anyway, saves a walk of
    a directory of millions of entries). :meth:`read` refuses an entry that inflates past
    ``max_size`` bytes, or more than ``max_ratio`` times its compressed size once past
    :data:`RATIO_FLOOR` bytes.

    >>> import io, tempfile, zipfile
    >>> folder = tempfile.mkdtemp()
    >>> with zipfile.ZipFile(f"{folder}/a.zip", "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("x/2026-09-01.json", "[1, 2]")
    >>> with ZipReader(Path(f"{folder}/a.zip")) as archive:
    ...     [(e.name, archive.read(e)) for e in archive.entries()]
    [('x/2026-09-01.json', b'[1, 2]')]
    """

    def __init__(
        self,
        path: Path,
        *,
        max_size: int = MAX_ENTRY_SIZE,
        max_ratio: float = MAX_RATIO,
        check: bool = True,
    ) -> None:
        self.path = path
        self.max_size = max_size
        self.max_ratio = max_ratio
        self._checked = False
        self._data = path.open("rb")
        try:
            self._offset, self._size, self._count = _directory(self._data)
        except (ZipError, struct.error, OSError, OverflowError) as exc:
            self._data.close()
            raise ZipError(str(exc) or "not a zip file") from exc
        if check:
            try:
                self.scan()
            except ZipError:
                self._data.close()
                raise

    def __enter__(self) -> ZipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._data.close()

    def scan(self, keep: Callable[[str], bool] | None = None) -> list[Entry]:
        """Check that every entry's header and data lie before the central directory, apart
        from the others' (an overlap is how a few kilobytes inflate to gigabytes many times
        over); returns the entries whose name ``keep`` accepts, found on the same walk.

        Raises
        ------
        ZipError
            For an overlap, data past the entries, or a damaged directory.
        """
        kept: list[Entry] = []
        spans = array("Q")
        try:
            for entry in self.entries():
                end = entry.offset + LOCAL.size + entry.compressed
                if end > self._offset:
                    raise ZipError(
                        f"{entry.name}: damaged archive (its data runs past the end of the entries)"
                    )
                spans.extend((entry.offset, end))
                if keep is not None and keep(entry.name):
                    kept.append(entry)
            bounds = np.frombuffer(spans, dtype=np.uint64).reshape(-1, 2)
            bounds = bounds[np.argsort(bounds[:, 0], kind="stable")]
        except (struct.error, OSError, OverflowError) as exc:
            raise ZipError(str(exc) or "not a zip file") from exc
        if (bounds[:-1, 1] > bounds[1:, 0]).any():
            raise ZipError(
                "damaged archive (entries overlap: a crafted archive, such as a zip bomb)"
            )
        self._checked = True
        return kept

    def entries(self) -> Iterator[Entry]:
        """Every entry, read from disk as the iteration goes (folders included), a chunk of
        the central directory at a time."""
        fixed_size = CENTRAL.size
        unpack = CENTRAL.unpack_from
        with self.path.open("rb", buffering=0) as directory:
            directory.seek(self._offset)
            left = self._size  # bytes of the directory not read yet
            chunk, at = b"", 0
            for _ in range(self._count):
                if len(chunk) - at < fixed_size:
                    chunk, at, left = _refill(directory, chunk, at, left, fixed_size)
                fields = unpack(chunk, at)
                if fields[0] != CENTRAL_SIGNATURE:
                    raise ZipError("damaged archive (bad central directory entry)")
                flags, method, crc = fields[5], fields[6], fields[9]
                compressed, size = fields[10], fields[11]
                name_length, extra_length, comment_length = fields[12], fields[13], fields[14]
                offset = fields[18]
                length = fixed_size + name_length + extra_length + comment_length
                if len(chunk) - at < length:
                    chunk, at, left = _refill(directory, chunk, at, left, length)
                start = at + fixed_size
                raw_name = chunk[start : start + name_length]
                at += length
                try:
                    name = raw_name.decode("utf-8" if flags & UTF8_NAMES else "cp437")
                except UnicodeDecodeError:
                    raise ZipError(
                        f"damaged archive (the file name {raw_name!r} is not valid UTF-8)"
                    ) from None
                if MASK32 in (size, compressed, offset):
                    extra = chunk[start + name_length : start + name_length + extra_length]
                    try:
                        size, compressed, offset = _zip64(extra, size, compressed, offset)
                    except ZipError as exc:
                        raise ZipError(f"{name}: {exc}") from None
                yield Entry(name, offset, compressed, size, method, flags, crc)

    def read(self, entry: Entry) -> bytes:
        """The uncompressed content of ``entry``, its CRC checked.

        Raises
        ------
        ZipError
            For an encrypted entry, an unsupported method, damage, a CRC mismatch, or an
            entry larger than ``max_size`` or more compressed than ``max_ratio`` allows.
        """
        if not self._checked:
            self.scan()
        if entry.flags & ENCRYPTED:
            raise ZipError(f"{entry.name}: encrypted entries cannot be read")
        if entry.method not in (STORED, DEFLATED):
            raise ZipError(
                f"{entry.name}: compression method {entry.method} is not supported (stored or deflated only)"
            )
        limit = self._limit(entry)
        if entry.size > limit:
            raise self._too_big(entry, entry.size)
        self._data.seek(entry.offset)
        fixed = self._data.read(LOCAL.size)
        if len(fixed) < LOCAL.size:
            raise ZipError(f"{entry.name}: damaged archive (local header cut short)")
        header = LOCAL.unpack(fixed)
        if header[0] != LOCAL_SIGNATURE:
            raise ZipError(f"{entry.name}: damaged archive (bad local header)")
        self._data.seek(header[10] + header[11], os.SEEK_CUR)
        if self._data.tell() + entry.compressed > self._offset:
            raise ZipError(f"{entry.name}: damaged archive (its data runs past the entries)")
        data = self._data.read(entry.compressed)
        if entry.method == DEFLATED:
            inflater = zlib.decompressobj(-15)
            try:
                data = inflater.decompress(data, limit + 1)
            except zlib.error as exc:
                raise ZipError(f"{entry.name}: damaged archive ({exc})") from exc
            if len(data) > limit:
                raise self._too_big(entry, len(data), at_least=True)
        if len(data) != entry.size:
            raise ZipError(
                f"{entry.name}: damaged archive (inflates to {len(data):,} bytes, "
                f"its header says {entry.size:,})"
            )
        if zlib.crc32(data) != entry.crc:
            raise ZipError(f"{entry.name}: damaged archive (CRC mismatch)")
        return data

    def _limit(self, entry: Entry) -> int:
        """The most bytes ``entry`` may inflate to."""
        by_ratio = max(RATIO_FLOOR, int(entry.compressed * self.max_ratio))
        return min(self.max_size, by_ratio) if entry.method == DEFLATED else self.max_size

    def _too_big(self, entry: Entry, size: int, *, at_least: bool = False) -> ZipError:
        amount = f"{'more than ' if at_least else ''}{size - 1 if at_least else size:,} bytes"
        return ZipError(
            f"{entry.name}: refused, it inflates to {amount} from {entry.compressed:,} "
            f"(limits: {self.max_size:,} bytes, {self.max_ratio:g} times the compressed size); "
            "a zip bomb or a file that does not belong in an export"
        )
