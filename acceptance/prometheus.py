"""Prometheus's HTTP API: instant queries and the loaded rules."""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class PrometheusError(Exception):
    pass


@dataclass
class PrometheusClient:
    base_url: str
    """e.g. http://127.0.0.1:9090, or the API server's service proxy to the in-cluster Prometheus."""
    context: ssl.SSLContext | None = None
    timeout: float = 30.0

    def _get(self, path: str, **query: str) -> Any:
        url = f"{self.base_url.rstrip('/')}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=self.timeout, context=self.context) as answer:
            body = json.loads(answer.read())
        if body.get("status") != "success":
            raise PrometheusError(f"{path}: {body.get('error', body)}")
        return body["data"]

    def query(self, expression: str) -> list[tuple[dict[str, str], float]]:
        """An instant query: (labels, value) for each series of the result (a scalar is one series)."""
        data = self._get("/api/v1/query", query=expression)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(item["metric"], float(item["value"][1])) for item in data["result"]]

    def scalar(self, expression: str) -> float | None:
        """The one value of a query that yields at most one series, or None when it yields none."""
        result = self.query(expression)
        if len(result) > 1:
            raise PrometheusError(f"{expression} yields {len(result)} series, expected one")
        return result[0][1] if result else None

    def rule_names(self) -> dict[str, str]:
        """Every loaded rule (alerts and recordings) with its health ("ok", "err", "unknown")."""
        groups = self._get("/api/v1/rules")["groups"]
        return {rule["name"]: rule.get("health", "unknown") for group in groups for rule in group["rules"]}
