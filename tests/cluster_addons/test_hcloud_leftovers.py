"""scripts/hcloud-leftovers, run for real (curl, jq) against a fake Hetzner Cloud API: it lists what a
stack left behind, scoped by labels, deletes only with --delete, and never touches other stacks."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "hcloud-leftovers"

ITEMS: dict[str, list[dict[str, Any]]] = {
    "servers": [
        {"id": 1, "name": "prod-autoscaled-6f2a", "labels": {"hcloud/node-group": "prod-autoscaled"}},
        {"id": 2, "name": "dev-autoscaled-1b3c", "labels": {"hcloud/node-group": "dev-autoscaled"}},
        {"id": 3, "name": "k3s-cp-0", "labels": {"platform/project": "platform", "platform/stack": "prod"}},
    ],
    "load_balancers": [{"id": 10, "name": "a1b2c3", "labels": {"hcloud-ccm/service-uid": "b2c3"}}],
    "volumes": [
        {"id": 21, "name": "scratch", "labels": {}},
        {"id": 20, "name": "pvc-0f0e", "labels": {}},  # on the second page
    ],
    "primary_ips": [
        {
            "id": 30,
            "name": "k3s-cp-0-ipv4",
            "labels": {"platform/project": "platform", "platform/stack": "dev"},
        }
    ],
}


def _matches(item: dict[str, Any], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if key not in item["labels"] or (value and item["labels"][key] != value):
            return False
    return True


PAGE_SIZE = 1
"""The fake answers one item per page (whatever `per_page` asks), as the real API does for a page
size of 1, so the script must follow `meta.pagination.next_page` to see everything."""


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    deleted: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            collection = url.path.strip("/").split("/")[-1]
            query = parse_qs(url.query)
            selector = query.get("label_selector", [""])[0]
            page = int(query.get("page", ["1"])[0])
            assert self.headers["Authorization"] == "Bearer test-token"
            items = [i for i in ITEMS.get(collection, []) if _matches(i, selector)]
            last_page = max(1, -(-len(items) // PAGE_SIZE))
            pagination = {
                "page": page,
                "per_page": PAGE_SIZE,
                "previous_page": page - 1 if page > 1 else None,
                "next_page": page + 1 if page < last_page else None,
                "last_page": last_page,
                "total_entries": len(items),
            }
            chunk = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            self._answer(200, {collection: chunk, "meta": {"pagination": pagination}})

        def do_DELETE(self) -> None:
            collection, item_id = self.path.strip("/").split("/")[-2:]
            if item_id == "3":
                self._answer(423, {"error": {"code": "protected", "message": "server is delete protected"}})
                return
            deleted.append(f"{collection}/{item_id}")
            self._answer(200, {})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1", deleted
    server.shutdown()


def _run(endpoint: str, *args: str, token: str | None = "test-token") -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HCLOUD_ENDPOINT": endpoint}
    if token:
        env["HCLOUD_TOKEN"] = token
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, check=False)


def test_shellcheck_passes() -> None:
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_lists_only_this_stacks_leftovers_and_deletes_nothing(api: tuple[str, list[str]]) -> None:
    endpoint, deleted = api
    result = _run(endpoint, "prod")
    assert result.returncode == 0, result.stderr
    assert "servers/1 prod-autoscaled-6f2a (made by the cluster-autoscaler)" in result.stdout
    assert "servers/3 k3s-cp-0 (labelled platform/prod)" in result.stdout
    assert "dev-autoscaled" not in result.stdout and "primary_ips/30" not in result.stdout
    assert "load_balancers/10" not in result.stdout, "unlabelled CCM objects need --include-unlabelled"
    assert "2 found; run again with --delete" in result.stdout
    assert deleted == []


def test_delete_removes_them_and_reports_refusals(api: tuple[str, list[str]]) -> None:
    endpoint, deleted = api
    result = _run(endpoint, "--delete", "--include-unlabelled", "prod")
    assert result.returncode == 0, result.stderr
    assert deleted == ["servers/1", "load_balancers/10", "volumes/20"]
    assert "NOT deleted: server is delete protected" in result.stdout
    assert "volumes/21" not in result.stdout, "only CSI-made volumes (pvc-*)"


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        ((), "t", "Usage:"),
        (("--force", "prod"), "t", "unknown option --force"),
        (("prod; rm -rf /",), "t", "is not a stack name"),
        (("prod",), None, "set HCLOUD_TOKEN"),
    ],
)
def test_bad_invocations_explain_themselves(args: tuple[str, ...], token: str | None, message: str) -> None:
    result = _run("http://127.0.0.1:9/v1", *args, token=token)
    assert result.returncode == 2
    assert message in result.stderr
