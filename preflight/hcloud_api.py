"""A small read-mostly client for the Hetzner Cloud API (https://docs.hetzner.cloud/reference/cloud)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1"
PAGE_SIZE = 50
"""Items per page; the API's maximum, so a project with many resources needs few requests."""


class ApiError(Exception):
    """The API answered with an error, or did not answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class HcloudApi:
    endpoint: str
    token: str
    timeout: float = 20.0

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.endpoint.rstrip('/')}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read() or b"{}").get("error", {})
            except json.JSONDecodeError:
                detail = {}
            raise ApiError(error.code, detail.get("code", ""), detail.get("message", error.reason)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ApiError(0, "unreachable", f"{self.endpoint}: {error}") from None

    def get(self, path: str, **query: str) -> dict[str, Any]:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self.request("GET", f"{path}{suffix}")

    def list(self, collection: str, **query: str) -> list[dict[str, Any]]:
        """Every item of a collection, following `meta.pagination.next_page` to the last page."""
        items: list[dict[str, Any]] = []
        page: int | None = 1
        while page:
            answer = self.get(f"/{collection}", **query, page=str(page), per_page=str(PAGE_SIZE))
            items.extend(answer[collection])
            page = ((answer.get("meta") or {}).get("pagination") or {}).get("next_page")
        return items

    def token_can_write(self) -> bool:
        """Whether the token may write, asked without writing anything.

        An empty SSH key is invalid, so the API refuses it either way; it checks the token's
        permission first, answering `forbidden` (403) to a read-only token and `invalid_input` to a
        read & write one.
        """
        try:
            self.request("POST", "/ssh_keys", {})
        except ApiError as error:
            if error.status == 403:
                return False
            if error.status in (400, 422):
                return True
            raise
        raise ApiError(201, "created", "the API accepted an empty SSH key; nothing should have been created")
