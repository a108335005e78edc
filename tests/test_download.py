"""The downloader against a local HTTP server on 127.0.0.1 (loopback only, bounded, stops itself).

Covered: success, checksum mismatch, HTTP 404, interrupted transfer, oversized body, stalled server; in
every failure case no file (and no temporary file) is left and an existing destination is untouched.
Also the lookup order of data directories.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time
from pathlib import Path

import pytest

from seal.data.download import (
    ChecksumMismatchError,
    DownloadError,
    cache_dir,
    download_file,
    find_file,
    search_dirs,
    sha256_file,
)

BODY = bytes(range(256)) * 300  # 76800 bytes, several read chunks
BODY_SHA = hashlib.sha256(BODY).hexdigest()
OTHER = b"x" * len(BODY)


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).hits[self.path] = type(self).hits.get(self.path, 0) + 1
        if self.path == "/ok":
            self._send(BODY)
        elif self.path == "/bad":
            self._send(OTHER)
        elif self.path == "/interrupted":
            # announce the full length, send half, then close the connection
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[: len(BODY) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif self.path == "/nolength-short":
            # no Content-Length: the size check must catch the short body
            self.send_response(200)
            self.end_headers()
            self.wfile.write(BODY[:1000])
            self.close_connection = True
        elif self.path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:100])
            self.wfile.flush()
            time.sleep(1.5)  # longer than the client's timeout
        else:
            self.send_error(404, "Not Found")

    def _send(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output clean
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that hung up is expected here
        pass


@pytest.fixture
def server(monkeypatch):
    """A loopback HTTP server; shut down at teardown, and by a watchdog after 60 s in any case."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    _Handler.hits = {}
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(60.0, srv.shutdown)
    watchdog.daemon = True
    watchdog.start()
    host, port = srv.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        watchdog.cancel()
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_success(server, tmp_path):
    dest = tmp_path / "cache" / "ds" / "file.arff"
    seen = []
    out = download_file(f"{server}/ok", dest, sha256=BODY_SHA, size=len(BODY), progress=lambda g, t: seen.append((g, t)))
    assert out == dest
    assert dest.read_bytes() == BODY
    assert leftovers(dest.parent) == ["file.arff"]  # no temporary file left
    assert seen and seen[-1] == (len(BODY), len(BODY))
    assert oct(dest.stat().st_mode & 0o777) == oct(0o644)
    assert sha256_file(dest) == BODY_SHA


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    dest = tmp_path / "file.arff"
    with pytest.raises(ChecksumMismatchError) as ei:
        download_file(f"{server}/bad", dest, sha256=BODY_SHA)
    assert ei.value.expected == BODY_SHA and ei.value.actual == hashlib.sha256(OTHER).hexdigest()
    assert leftovers(tmp_path) == []


def test_http_404_leaves_nothing(server, tmp_path):
    dest = tmp_path / "file.arff"
    with pytest.raises(DownloadError, match="404"):
        download_file(f"{server}/missing", dest, sha256=BODY_SHA)
    assert leftovers(tmp_path) == []


def test_interrupted_transfer_leaves_nothing(server, tmp_path):
    dest = tmp_path / "file.arff"
    with pytest.raises(DownloadError, match="interrupted|IncompleteRead"):
        download_file(f"{server}/interrupted", dest, sha256=BODY_SHA)
    assert leftovers(tmp_path) == []


def test_short_body_without_content_length(server, tmp_path):
    dest = tmp_path / "file.arff"
    with pytest.raises(DownloadError, match="expected"):
        download_file(f"{server}/nolength-short", dest, sha256=BODY_SHA, size=len(BODY))
    assert leftovers(tmp_path) == []


def test_oversized_body_aborted(server, tmp_path):
    dest = tmp_path / "file.arff"
    with pytest.raises(DownloadError, match="bytes"):
        download_file(f"{server}/ok", dest, sha256=BODY_SHA, size=1000)
    assert leftovers(tmp_path) == []


def test_stalled_server_times_out(server, tmp_path):
    dest = tmp_path / "file.arff"
    t0 = time.monotonic()
    with pytest.raises(DownloadError):
        download_file(f"{server}/stall", dest, sha256=BODY_SHA, timeout=0.3)
    assert time.monotonic() - t0 < 5
    assert leftovers(tmp_path) == []


def test_failure_keeps_existing_destination(server, tmp_path):
    dest = tmp_path / "file.arff"
    dest.write_bytes(b"previous version")
    with pytest.raises(ChecksumMismatchError):
        download_file(f"{server}/bad", dest, sha256=BODY_SHA)
    assert dest.read_bytes() == b"previous version"
    assert leftovers(tmp_path) == ["file.arff"]


def test_unreachable_host(tmp_path, monkeypatch):
    # a closed loopback port: connection refused, immediately
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(DownloadError, match="cannot download"):
        download_file(f"http://127.0.0.1:{port}/x", tmp_path / "x", sha256=BODY_SHA, timeout=2)
    assert leftovers(tmp_path) == []


def test_sha256_is_required(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        download_file("http://127.0.0.1:1/x", tmp_path / "x", sha256="")


def test_file_url_mirror(tmp_path):
    src = tmp_path / "mirror" / "f.bin"
    src.parent.mkdir()
    src.write_bytes(BODY)
    dest = download_file(src.as_uri(), tmp_path / "out" / "f.bin", sha256=BODY_SHA, size=len(BODY))
    assert dest.read_bytes() == BODY


# ------------------------------------------------------------------------------------------ lookup order


def test_search_dirs_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SEAL_DATA_DIR", str(tmp_path / "env"))
    assert search_dirs(tmp_path / "explicit") == [tmp_path / "explicit", tmp_path / "cache"]
    assert search_dirs() == [tmp_path / "env", tmp_path / "cache"]
    monkeypatch.delenv("SEAL_DATA_DIR")
    assert search_dirs() == [tmp_path / "cache"]
    assert cache_dir() == tmp_path / "cache"


def test_cache_dir_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("SEAL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "seal"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "seal"


def test_find_file_first_root_wins(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "ds").mkdir(parents=True)
        (root / "ds" / "f.arff").write_text(root.name)
    assert find_file("ds/f.arff", [a, b]) == a / "ds" / "f.arff"
    (a / "ds" / "f.arff").unlink()
    assert find_file("ds/f.arff", [a, b]) == b / "ds" / "f.arff"
    assert find_file("ds/nope.arff", [a, b]) is None


def test_sha256_file_memo_sees_changes(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"one")
    assert sha256_file(p) == hashlib.sha256(b"one").hexdigest()
    p.write_bytes(b"two!")  # different size -> different memo key
    os.utime(p, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert sha256_file(p) == hashlib.sha256(b"two!").hexdigest()
