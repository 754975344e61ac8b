"""A real Sentry ingest endpoint for tests: a threaded HTTP server on 127.0.0.1.

The real sentry-sdk sends its envelopes here (DSN `http://public@127.0.0.1:PORT/1`)
exactly as it would to sentry.io; the server keeps the raw bytes of every request
(decompressed) and decodes the envelopes, so tests can assert both what arrived and
what never did. Nothing in the product knows about this module.
"""
from __future__ import annotations

import gzip
import json
import os
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Envelope:
    """One decoded envelope: its header and its items as (item header, payload)."""

    header: dict
    items: list[tuple[dict, object]] = field(default_factory=list)

    def payloads(self, item_type: str) -> list:
        return [payload for header, payload in self.items if header.get("type") == item_type]


def decompress(body: bytes, encoding: str) -> bytes:
    """The request body as sent before compression (gzip, deflate, br or none)."""
    encoding = (encoding or "").strip().lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # only present if the SDK found it too; then it is installed

        return brotli.decompress(body)
    if encoding not in ("", "identity"):
        raise ValueError(f"unknown Content-Encoding {encoding!r}")
    return body


def _payload(raw: bytes, header: dict) -> object:
    if header.get("content_type", "application/json") == "application/json" or header.get(
            "type") in ("event", "transaction", "session", "sessions", "client_report"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def parse_envelope(data: bytes) -> Envelope:
    """Decode Sentry's envelope format: newline-separated JSON headers and payloads.

    An item header may give the payload's `length` in bytes; without it the payload
    runs to the next newline.
    """
    first, _, rest = data.partition(b"\n")
    envelope = Envelope(header=json.loads(first) if first.strip() else {})
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        item_header = json.loads(line)
        length = item_header.get("length")
        if length is None:
            raw, _, rest = rest.partition(b"\n")
        else:
            raw, rest = rest[:length], rest[length:]
            if rest.startswith(b"\n"):
                rest = rest[1:]
        envelope.items.append((item_header, _payload(raw, item_header)))
    return envelope


class SentryServer:
    """Start with `with SentryServer() as sentry:`; give `sentry.dsn` to the program."""

    def __init__(self):
        self.raw_requests: list[bytes] = []
        self.envelopes: list[Envelope] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def __enter__(self) -> SentryServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    data = decompress(body, self.headers.get("Content-Encoding", ""))
                    server._record(self.path, data)
                except Exception as exc:  # keep the reason; the test asserts no errors
                    server.errors.append(f"{self.path}: {exc!r}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        return Handler

    def _record(self, path: str, data: bytes) -> None:
        with self._lock:
            self.raw_requests.append(data)
            if path.rstrip("/").endswith("/envelope"):
                self.envelopes.append(parse_envelope(data))
            else:  # the legacy /store/ endpoint: one bare event
                self.envelopes.append(Envelope({}, [({"type": "event"}, json.loads(data))]))

    # -- what arrived --------------------------------------------------------------------

    def raw_bytes(self) -> bytes:
        """Every byte received so far, decompressed, request after request."""
        with self._lock:
            return b"\n".join(self.raw_requests)

    def events(self) -> list[dict]:
        """The error and message events received, in arrival order."""
        with self._lock:
            return [event for envelope in self.envelopes for event in envelope.payloads("event")]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[dict]:
        """Wait until PREDICATE(events) is true; return the events (asserting it is)."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            if predicate(events) or time.monotonic() > deadline:
                assert predicate(events), f"no matching Sentry event in {summarize(events)}"
                return events
            time.sleep(0.05)


# -- reading events -----------------------------------------------------------------------


def tags(event: dict) -> dict:
    """An event's tags as a dict (the SDK may send them as a dict or as pairs)."""
    value = event.get("tags") or {}
    return dict(value) if isinstance(value, list) else value


def action_events(events: list[dict], action: str) -> list[dict]:
    return [e for e in events if tags(e).get("action") == action]


def error_events(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("exception")]


def summarize(events: list[dict]) -> list:
    return [(tags(e).get("action") or tags(e).get("error_id"), e.get("level")) for e in events]


# -- running the real program -------------------------------------------------------------


def console_script() -> str:
    """The `epicshell` console script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "epicshell"
    if script.exists():
        return str(script)
    import shutil

    found = shutil.which("epicshell")
    assert found, "the epicshell console script is not installed"
    return found


def child_env(tmp_path, **extra) -> dict:
    """The environment of a child epicshell: fast bcrypt, UTC, a private data directory."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SENTRY_", "EPICSHELL_", "DATABASE_URL"))}
    env.update({"EPICSHELL_BCRYPT_ROUNDS": "4", "TZ": "UTC", "XDG_DATA_HOME": str(tmp_path),
                "NO_COLOR": "1"})
    env.update({k: str(v) for k, v in extra.items()})
    return env
