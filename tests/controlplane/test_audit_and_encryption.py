"""Audit events land where the rendered config says, at the policy's levels; Secrets are encrypted in etcd."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from typing import Any

from .cluster import ControlPlane
from .objects import Applied, rendered_objects
from .workloads import privilege_escalating_pod

ENCRYPTED_PREFIX = b"k8s:enc:secretbox:v1:secretboxkey:"
"""How kube-apiserver stores a value encrypted by the secretbox provider (`k8s:enc:secretbox:v1:`
then the key name) under the key name k3s gives the first secretbox key."""
AUDIT_WAIT_SECONDS = 30


def _audit_log(control_plane: ControlPlane) -> Any:
    (path,) = [
        arg.split("=", 1)[1]
        for arg in control_plane.first.config["kube-apiserver-arg"]
        if arg.startswith("audit-log-path=")
    ]
    return control_plane.local(path)


def _audit_events(control_plane: ControlPlane, resource: str, name: str) -> list[dict[str, Any]]:
    """ResponseComplete events about one object, waiting (bounded) for the log to get them."""
    log = _audit_log(control_plane)
    deadline = time.monotonic() + AUDIT_WAIT_SECONDS
    while True:
        events = [
            event
            for event in map(json.loads, log.read_text().splitlines() if log.exists() else [])
            if event.get("stage") == "ResponseComplete"
            and event.get("objectRef", {}).get("resource") == resource
            and event.get("objectRef", {}).get("name") == name
        ]
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def _secret(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "default"},
        "stringData": {"token": value},
    }


def test_audit_events_for_a_refused_pod_and_a_secret_follow_the_policy(
    control_plane: ControlPlane, applied: Applied
) -> None:
    api = control_plane.api
    pod = privilege_escalating_pod(control_plane.run, "audited-escalating")
    assert api.create(pod).status == 403
    assert api.apply(_secret("audited-secret", "do-not-log-me")).status == 201

    (pod_event,) = _audit_events(control_plane, "pods", "audited-escalating")
    assert pod_event["level"] == "Request"
    assert pod_event["responseStatus"]["code"] == 403
    assert pod_event["user"]["username"] == "platform-admin"
    assert pod_event["requestObject"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"]

    (secret_event,) = _audit_events(control_plane, "secrets", "audited-secret")
    assert secret_event["level"] == "Metadata"
    assert secret_event["verb"] == "patch"
    assert "requestObject" not in secret_event
    assert "do-not-log-me" not in _audit_log(control_plane).read_text()


def _etcd_value(control_plane: ControlPlane, key: str) -> bytes:
    """The raw value stored under `key`, read from etcd itself (its JSON gateway, etcd's client TLS)."""
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    request = urllib.request.Request(f"{control_plane.etcd_url}/v3/kv/range", data=body, method="POST")
    with urllib.request.urlopen(request, context=control_plane.etcd_context(), timeout=10) as answer:
        (kv,) = json.loads(answer.read())["kvs"]
    return base64.b64decode(kv["value"])


def test_a_secret_written_through_the_api_is_encrypted_in_etcd(
    control_plane: ControlPlane, applied: Applied
) -> None:
    api = control_plane.api
    assert api.apply(_secret("stored-encrypted", "plaintext-marker-7f3a")).status == 201
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "stored-plain", "namespace": "default"},
        "data": {"token": "plaintext-marker-7f3a"},
    }
    assert api.apply(config_map).status == 201

    secret = _etcd_value(control_plane, "/registry/secrets/default/stored-encrypted")
    assert secret.startswith(ENCRYPTED_PREFIX)
    assert b"plaintext-marker-7f3a" not in secret
    # The same read shows a ConfigMap (not encrypted by the configuration) in the clear.
    assert b"plaintext-marker-7f3a" in _etcd_value(control_plane, "/registry/configmaps/default/stored-plain")


def test_rendered_secrets_are_encrypted_in_etcd(control_plane: ControlPlane, applied: Applied) -> None:
    secrets = [obj["metadata"] for _, obj in rendered_objects(control_plane.run) if obj["kind"] == "Secret"]
    assert secrets
    for metadata in secrets:
        stored = _etcd_value(control_plane, f"/registry/secrets/{metadata['namespace']}/{metadata['name']}")
        assert stored.startswith(ENCRYPTED_PREFIX), metadata["name"]
