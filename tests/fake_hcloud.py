"""A fake Hetzner Cloud API on loopback that speaks the documented JSON shapes
(https://docs.hetzner.cloud/reference/cloud): collections filtered by `name` and `label_selector`,
paginated by `page`/`per_page` with `meta.pagination`, errors as `{"error": {"code", "message"}}`,
401 for an unknown token, 403 `forbidden` for a write with a read-only token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

READ_WRITE_TOKEN = "rw-token"
READ_ONLY_TOKEN = "ro-token"
DEFAULT_PER_PAGE = 25
"""The API's default page size (its maximum is 50)."""


def _matches_selector(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if key not in labels or (value and labels[key] != value):
            return False
    return True


@dataclass
class FakeHcloud:
    """The project's contents, by collection, and every request the fake answered."""

    items: dict[str, list[dict[str, Any]]]
    taken: dict[str, dict[str, str]] = field(default_factory=dict)
    """Collections where every name asked for is taken, by a resource with these labels."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.requests if method != "GET"]

    def answer(self, method: str, path: str, token: str, body: Any) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, path))
        if token not in (READ_WRITE_TOKEN, READ_ONLY_TOKEN):
            return 401, {"error": {"code": "unauthorized", "message": "unable to authenticate"}}
        url = urlparse(path)
        collection = url.path.removeprefix("/v1/").strip("/")
        if method != "GET":
            if token == READ_ONLY_TOKEN:
                return 403, {"error": {"code": "forbidden", "message": "insufficient permissions"}}
            if collection == "ssh_keys" and not (body or {}).get("public_key"):
                return 422, {"error": {"code": "invalid_input", "message": "invalid input in field 'name'"}}
            return 405, {"error": {"code": "method_not_allowed", "message": "the fake only reads"}}
        if collection not in self.items:
            return 404, {"error": {"code": "not_found", "message": f"no collection {collection}"}}
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if collection in self.taken and "name" in query:
            return 200, self._page(
                [{"id": 4242, "name": query["name"], "labels": self.taken[collection]}], collection, query
            )
        selected = [
            item
            for item in self.items[collection]
            if query.get("name", item.get("name")) == item.get("name")
            and _matches_selector(item.get("labels") or {}, query.get("label_selector", ""))
            and all(item.get(key) == query[key] for key in ("type", "architecture") if key in query)
        ]
        return 200, self._page(selected, collection, query)

    @staticmethod
    def _page(selected: list[dict[str, Any]], collection: str, query: dict[str, str]) -> dict[str, Any]:
        page, per_page = int(query.get("page", 1)), min(int(query.get("per_page", DEFAULT_PER_PAGE)), 50)
        last_page = max(1, -(-len(selected) // per_page))
        return {
            collection: selected[(page - 1) * per_page : page * per_page],
            "meta": {
                "pagination": {
                    "page": page,
                    "per_page": per_page,
                    "previous_page": page - 1 or None,
                    "next_page": page + 1 if page < last_page else None,
                    "last_page": last_page,
                    "total_entries": len(selected),
                }
            },
        }


@contextmanager
def serve(fake: FakeHcloud) -> Iterator[FakeHcloud]:
    """Serve `fake` on 127.0.0.1 until the block ends; `fake.url` is the API base (…/v1)."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null") if length else None
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            status, answer = fake.answer(self.command, self.path, token, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = _handle  # noqa: N815 (http.server's method names)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
