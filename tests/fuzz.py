"""The standing fuzz suite's tools: every reader, fed mutations of a valid file (bytes flipped,
cut, repeated, nasty tokens spliced in), ends in a :class:`MatcherError` or succeeds.

The ``test_hostile_*`` modules of ``tests/cli`` and ``tests/ingest`` use them with the
session's ``scratch_dir`` (``@given`` tests cannot use ``tmp_path``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

from matcher.errors import MatcherError

NASTY = [
    b"nan",
    b"inf",
    b"-inf",
    b"1e400",
    b"-1",
    b"0",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xe9",
    b'"',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
    b"null",
    b"true",
    b'""',
    b"9999-12-31",
    b"0001-01-01T00:00:00+14:00",
    b"-99999999999999",
    b"18446744073709551616",
    b"E1",
    b"RRULE:FREQ=SECONDLY",
    b"PK\x03\x04",
    b"\xff\xff\xff\xff",
]


@st.composite
def mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few edits: flips, cuts, repeats and nasty tokens."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        operation = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        if operation == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=4))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif operation == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def harmless(read: Callable[[], object]) -> None:
    """Run ``read``; a MatcherError is the expected failure, anything else escapes the test."""
    with contextlib.suppress(MatcherError):
        read()


def written(folder: Path, name: str, content: bytes) -> Path:
    """``content`` as ``folder / name`` (replacing what an earlier example wrote there)."""
    path = folder / name
    path.write_bytes(content)
    return path
