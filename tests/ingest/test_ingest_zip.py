"""The streaming zip reader agrees with zipfile, ZIP64 included, and reports damage."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from matcher.ingest.zipstream import ZipError, ZipReader


def test_zip64_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lowered limits make zipfile write what it writes past 65,535 entries and 4 GiB: a
    ZIP64 end record and ZIP64 sizes and offsets in the central directory."""
    archive = tmp_path / "big.zip"
    with monkeypatch.context() as patched:
        patched.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 5)
        patched.setattr(zipfile, "ZIP64_LIMIT", 100)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
            for i in range(20):
                zipped.writestr(f"c{i % 7}/2026-09-{i + 1:02d}.json", f"[{i}]" + " " * 150)
            zipped.writestr("dms.json", "[]" * 1000, compress_type=zipfile.ZIP_DEFLATED)
    assert b"PK\x06\x06" in archive.read_bytes()  # the ZIP64 end record
    with zipfile.ZipFile(archive) as zipped:
        expected = [(i.filename, zipped.read(i)) for i in zipped.infolist()]
    with ZipReader(archive) as reader:
        assert [(e.name, reader.read(e)) for e in reader.entries()] == expected


def test_damage_is_reported(tmp_path: Path) -> None:
    not_zip = tmp_path / "export.zip"
    not_zip.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ZipError, match="not a zip file"):
        ZipReader(not_zip)
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("users.json", "[1, 2, 3]")
    data = bytearray(archive.read_bytes())
    data[data.index(b"[1, 2, 3]")] = ord("{")
    archive.write_bytes(bytes(data))
    with ZipReader(archive) as reader, pytest.raises(ZipError, match="CRC mismatch"):
        reader.read(next(reader.entries()))


def test_names_in_utf8_and_nested_folders(tmp_path: Path) -> None:
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("Export Sep 2026/équipe-café/2026-09-01.json", "[]")
    with ZipReader(archive) as reader:
        (entry,) = reader.entries()
        assert entry.name == "Export Sep 2026/équipe-café/2026-09-01.json"
        assert reader.read(entry) == b"[]"
