"""Atomic writes (seal.io): the destination is replaced only after a complete write."""

from __future__ import annotations

import os
import stat

import pytest

from seal.io import atomic_open, atomic_write_bytes, atomic_write_text


def test_atomic_write_text_creates_parents_and_usual_permissions(tmp_path):
    out = tmp_path / "a" / "b" / "f.txt"
    atomic_write_text(out, "héllo\n")
    assert out.read_bytes() == "héllo\n".encode()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in out.parent.iterdir()] == ["f.txt"]


def test_failed_write_leaves_existing_file_byte_identical(tmp_path):
    out = tmp_path / "f.bin"
    out.write_bytes(b"old contents")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(out, "wb") as fh:
            fh.write(b"new partial")
            raise RuntimeError("boom")
    assert out.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temporary file left behind


def test_mode_bits_and_bytes(tmp_path):
    out = atomic_write_bytes(tmp_path / "x.npz", b"\x00\x01", mode_bits=0o644)
    assert out.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_bad_mode_and_directory(tmp_path):
    with pytest.raises(ValueError, match="mode must be"):
        with atomic_open(tmp_path / "f", "a"):
            pass
    with pytest.raises(IsADirectoryError):
        atomic_write_text(tmp_path, "x")
