"""A small client of the Kubernetes API, authenticated with the admin kubeconfig the stack exports."""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass
class KubeClient:
    server: str
    context: ssl.SSLContext
    timeout: float = 20.0

    @classmethod
    def from_kubeconfig(cls, text: str) -> KubeClient:
        config = yaml.safe_load(text)
        current = config.get("current-context") or config["contexts"][0]["name"]
        context = next(c["context"] for c in config["contexts"] if c["name"] == current)
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        tls = ssl.create_default_context(
            cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
        )
        with tempfile.TemporaryDirectory() as folder:  # ssl loads a client key only from a file
            cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
            key.touch(mode=0o600)
            key.write_bytes(base64.b64decode(user["client-key-data"]))
            tls.load_cert_chain(cert, key)
        return cls(cluster["server"].rstrip("/"), tls)

    def get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.server}{path}", headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as answer:
            return json.loads(answer.read())

    def items(self, path: str) -> list[dict[str, Any]]:
        return list(self.get(path).get("items", []))
