"""A local HTTP fake of the one Graph API call LeadFlow makes: ``GET /<leadgen_id>``.

Tests point ``META_GRAPH_API_URL`` at ``fake.base_url`` so ``requests`` really goes over the
wire. The fake answers leads put in ``leads``, records every request, and can be scripted to
fail (``fail_next``) like Graph does on a bad day.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class GraphRequest:
    method: str
    path: str
    leadgen_id: str
    access_token: str
    status: int


class FakeMetaGraph:
    def __init__(self) -> None:
        self.leads: dict[str, dict[str, Any]] = {}
        self.requests: list[GraphRequest] = []
        self._failures: list[tuple[int, dict[str, Any] | None]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake._answer(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v21.0"

    def start(self) -> FakeMetaGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(
        self, status: int = 500, times: int = 1, error: dict[str, Any] | None = None
    ) -> None:
        """The next ``times`` requests answer ``status`` with Graph's error object ``error``."""
        with self._lock:
            self._failures += [(status, error)] * times

    def add_lead(self, lead: dict[str, Any]) -> None:
        self.leads[str(lead["id"])] = lead

    def fetched(self, leadgen_id: str) -> list[GraphRequest]:
        return [r for r in self.requests if r.leadgen_id == leadgen_id]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        leadgen_id = unquote(url.path.rsplit("/", 1)[-1])
        token = query.get("access_token", [""])[0]
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, error = failure
            body = {"error": error or {"message": "An unexpected error has occurred."}}
        elif not token:
            status = 400
            body = {"error": {"message": "An access token is required", "code": 104}}
        elif leadgen_id in self.leads:
            status, body = 200, self.leads[leadgen_id]
        else:
            status = 400
            body = {"error": {"message": f"Unsupported get request: {leadgen_id}", "code": 100}}
        with self._lock:
            self.requests.append(GraphRequest(handler.command, url.path, leadgen_id, token, status))
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
