"""Hostile zip archives (lying headers, bombs, overlapping entries, encryption, bad names) end
in a located :class:`ZipError`, or exit 1 through ``matcher ingest``: never a traceback, a hang
or unbounded memory."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from matcher.ingest.zipstream import ZipError, ZipReader
from tests.ingest.exports import IngestSeptember


@dataclass
class Member:
    """One entry of a hand-built zip; ``None`` fields take their honest value."""

    name: bytes
    data: bytes  # as stored (already deflated when method is 8)
    size: int | None = None
    method: int = 0
    flags: int = 0
    crc: int | None = None
    compressed: int | None = None
    offset: int | None = None
    extra: bytes = b""


def craft(members: list[Member]) -> bytes:
    """A zip archive with exactly the headers given (zipfile would refuse to write lies)."""
    body = bytearray()
    directory = bytearray()
    for member in members:
        at = len(body)
        size = len(member.data) if member.size is None else member.size
        crc = zlib.crc32(member.data) if member.crc is None else member.crc
        compressed = len(member.data) if member.compressed is None else member.compressed
        local = struct.pack(
            "<4s2B4HL2L2H",
            b"PK\x03\x04",
            20,
            0,
            member.flags,
            member.method,
            0,
            0,
            crc,
            len(member.data),
            size & 0xFFFFFFFF,
            len(member.name),
            0,
        )
        body += local + member.name + member.data
        offset = at if member.offset is None else member.offset
        directory += struct.pack(
            "<4s4B4HL2L5H2L",
            b"PK\x01\x02",
            20,
            0,
            20,
            0,
            member.flags,
            member.method,
            0,
            0,
            crc,
            min(compressed, 0xFFFFFFFF),
            min(size, 0xFFFFFFFF),
            len(member.name),
            len(member.extra),
            0,
            0,
            0,
            0,
            min(offset, 0xFFFFFFFF),
        )
        directory += member.name + member.extra
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def read_all(path: Path) -> None:
    with ZipReader(path) as archive:
        for entry in archive.entries():
            archive.read(entry)


def zip64_extra(*values: int, declared: int | None = None) -> bytes:
    payload = struct.pack(f"<{len(values)}Q", *values)
    return struct.pack("<2H", 1, len(payload) if declared is None else declared) + payload


BAD_ZIPS: dict[str, tuple[list[Member], str]] = {
    "short ZIP64 extra field": (
        [Member(b"a.json", b"[]", size=0xFFFFFFFF, compressed=0xFFFFFFFF, extra=zip64_extra(2))],
        "ZIP64 extra field too short",
    ),
    "truncated extra field": (
        [Member(b"a.json", b"[]", size=0xFFFFFFFF, extra=zip64_extra(2, declared=16))],
        "extra field runs past",
    ),
    "ZIP64 sizes without the extra field": (
        [Member(b"a.json", b"[]", size=0xFFFFFFFF)],
        "without a ZIP64 extra field",
    ),
    "local header offset past the end": (
        [Member(b"a.json", b"[]", offset=1 << 20)],
        "runs past the end of the entries",
    ),
    "file name not UTF-8": (
        [Member(b"caf\xe9\xff.json", b"[]", flags=0x800)],
        "not valid UTF-8",
    ),
    "2**62 declared size": (
        [
            Member(
                b"a.json",
                b"[]",
                size=0xFFFFFFFF,
                extra=zip64_extra(1 << 62),
            )
        ],
        "refused, it inflates to",
    ),
    "2**62 compressed size": (
        [Member(b"a.json", b"[]", compressed=0xFFFFFFFF, extra=zip64_extra(1 << 62))],
        "runs past the end of the entries",
    ),
    "overlapping entries": (
        [
            Member(b"a.json", b"[1]" * 20),
            Member(b"b.json", b"[1]" * 20, offset=0),
        ],
        "entries overlap",
    ),
    "encrypted entry": (
        [Member(b"a.json", b"[]", flags=0x1)],
        "encrypted",
    ),
    "AES entry (method 99)": (
        [Member(b"a.json", b"[]", method=99)],
        "compression method 99",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ZIPS))
def test_crafted_zip_is_a_zip_error(tmp_path: Path, case: str) -> None:
    members, message = BAD_ZIPS[case]
    path = tmp_path / "export.zip"
    path.write_bytes(craft(members))
    with pytest.raises(ZipError, match=message):
        read_all(path)


def slack_zip(path: Path, day_file: bytes, *, declared: int | None = None) -> Path:
    """A Slack export zip whose one day file is deflated ``day_file`` (its header may lie)."""
    users = json.dumps(
        [
            {"id": "U1", "profile": {"email": "ada@example.com"}},
            {"id": "U2", "profile": {"email": "bob@example.com"}},
        ]
    ).encode()
    dms = json.dumps([{"id": "D1", "members": ["U1", "U2"]}]).encode()
    day = Member(
        b"D1/2026-09-01.json",
        deflate(day_file),
        size=len(day_file) if declared is None else declared,
        method=8,
        crc=zlib.crc32(day_file),
    )
    path.write_bytes(craft([Member(b"users.json", users), Member(b"dms.json", dms), day]))
    return path


@pytest.mark.parametrize("declared", [None, 100], ids=["honest header", "lying header"])
def test_slack_zip_bomb_is_refused_naming_the_entry(
    tmp_path: Path, declared: int | None, ingest_september: IngestSeptember
) -> None:
    # 8 MiB of one byte deflate to 8 KiB: 1,000 times, as a zip bomb does
    bomb = slack_zip(tmp_path / "slack.zip", b"[" + b" " * (8 << 20) + b"]", declared=declared)
    assert bomb.stat().st_size < 20_000
    stderr = ingest_september(bomb, "--kind", "slack", code=1).stderr
    assert "D1/2026-09-01.json: refused, it inflates to" in stderr
    assert "Traceback" not in stderr


def test_overlapping_entries_are_refused(tmp_path: Path, ingest_september: IngestSeptember) -> None:
    kernel = deflate(b"[" + b" " * 100_000 + b"]")
    members = [Member(b"users.json", b"[]")] + [
        Member(f"D1/2026-09-{d:02d}.json".encode(), kernel, size=100_002, method=8, offset=30)
        for d in range(1, 21)
    ]
    path = tmp_path / "slack.zip"
    path.write_bytes(craft(members))
    assert "entries overlap" in ingest_september(path, "--kind", "slack", code=1).stderr


@pytest.mark.parametrize(
    "member",
    [
        Member(b"cal/a.ics", b"BEGIN:VCALENDAR", flags=0x1),
        Member(b"cal/a.ics", b"BEGIN:VCALENDAR", method=99),
        Member(b"cal/\xff\xfe.ics", b"BEGIN:VCALENDAR", flags=0x800),
    ],
    ids=["encrypted", "aes", "bad name"],
)
def test_calendar_zips_that_cannot_be_read(
    tmp_path: Path, member: Member, ingest_september: IngestSeptember
) -> None:
    path = tmp_path / "calendar.zip"
    path.write_bytes(craft([member]))
    for kind in ("ics", None):
        stderr = ingest_september(path, *(("--kind", kind) if kind else ()), code=1).stderr
        assert "calendar.zip" in stderr


def test_calendar_zip_bomb_is_refused(tmp_path: Path, ingest_september: IngestSeptember) -> None:
    text = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"a" * (4 << 20) + b"\r\nEND:VCALENDAR\r\n"
    path = tmp_path / "calendar.zip"
    path.write_bytes(
        craft([Member(b"a.ics", deflate(text), size=len(text), method=8, crc=zlib.crc32(text))])
    )
    assert "a.ics: refused" in ingest_september(path, "--kind", "ics", code=1).stderr


def test_a_zip_written_by_zipfile_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for i in range(5):
            zipped.writestr(f"D1/2026-09-0{i + 1}.json", "[]" * 1000)
        zipped.writestr("empty/", "")
    read_all(path)
