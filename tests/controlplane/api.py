"""A small Kubernetes API client over HTTPS (standard library only): requests, discovery, server-side apply.

Server-side apply is what `pulumi up` does with the Kubernetes provider's default settings; every
apply here asks for strict field validation, so an unknown field is an error, not a warning.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

FIELD_MANAGER = "platform-controlplane-test"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    """Decoded JSON, or the text when the answer is not JSON."""
    warnings: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("message", self.body))
        return str(self.body)[:500]


@dataclass(frozen=True)
class ApiResource:
    path: str
    """`/api/v1` or `/apis/<group>/<version>`."""
    plural: str
    namespaced: bool


class UnknownKindError(LookupError):
    pass


class Api:
    def __init__(self, url: str, context: ssl.SSLContext) -> None:
        self.url = url
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self._discovered: dict[str, dict[str, ApiResource]] = {}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
    ) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        url = self.url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with self._opener.open(request, timeout=60) as answer:
                return _answer(answer.status, answer.read(), answer.headers.get_all("Warning") or [])
        except urllib.error.HTTPError as err:
            return _answer(err.code, err.read(), err.headers.get_all("Warning") or [])

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def _group_resources(self, api_version: str) -> dict[str, ApiResource]:
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        answer = self.get(base)
        if answer.status == 404:
            return {}
        assert answer.status == 200, f"discovery of {base}: HTTP {answer.status} {answer.message}"
        return {
            item["kind"]: ApiResource(base, item["name"], item["namespaced"])
            for item in answer.body["resources"]
            if "/" not in item["name"]
        }

    def resource(self, api_version: str, kind: str, wait_seconds: float = 0) -> ApiResource:
        """Where `kind` of `api_version` lives; with `wait_seconds`, waits for a new CRD's discovery."""
        deadline = time.monotonic() + wait_seconds
        while True:
            known = self._discovered.get(api_version, {})
            if kind in known:
                return known[kind]
            self._discovered[api_version] = self._group_resources(api_version)
            if kind in self._discovered[api_version]:
                return self._discovered[api_version][kind]
            if time.monotonic() > deadline:
                raise UnknownKindError(f"the API server serves no {kind} in {api_version}")
            time.sleep(0.5)

    def object_path(self, obj: dict[str, Any], wait_seconds: float = 0) -> str:
        resource = self.resource(obj["apiVersion"], obj["kind"], wait_seconds)
        metadata = obj.get("metadata", {})
        namespace = metadata.get("namespace", "default") if resource.namespaced else None
        prefix = f"{resource.path}/namespaces/{namespace}" if namespace else resource.path
        return f"{prefix}/{resource.plural}/{metadata['name']}"

    def apply(self, obj: dict[str, Any], *, dry_run: bool = False, wait_seconds: float = 0) -> Answer:
        """Server-side apply of one object (created when absent), strict field validation."""
        query = {"fieldManager": FIELD_MANAGER, "force": "true", "fieldValidation": "Strict"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request(
            "PATCH",
            self.object_path(obj, wait_seconds),
            obj,
            content_type="application/apply-patch+yaml",
            query=query,
        )

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> Answer:
        """POST one object, as a controller creating a Pod from a template would."""
        path = self.object_path(obj).rsplit("/", 1)[0]
        query = {"fieldValidation": "Strict", **({"dryRun": "All"} if dry_run else {})}
        return self.request("POST", path, obj, query=query)


def _answer(status: int, raw: bytes, warnings: list[str]) -> Answer:
    text = raw.decode(errors="replace")
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    return Answer(status, body, warnings)
