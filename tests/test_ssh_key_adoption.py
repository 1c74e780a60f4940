"""An SSH key the Hetzner project already has is used by id, not uploaded again (Hetzner refuses a
second key with the same public key: "SSH key not unique"); a key this stack uploaded stays managed."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

import offline.program
from offline.mocks import PlatformMocks
from offline.program import ProgramRun, run_program

TEAM_KEY_MD5 = "77:2b:ee:d3:fb:8d:6d:90:72:9c:9a:8d:0f:58:54:e3"
"""`ssh-keygen -l -E md5` of the key in Pulumi.dev.yaml (tests/preflight checks it with ssh-keygen)."""
SSH_KEY = "hcloud:index/sshKey:SshKey"
SERVER = "hcloud:index/server:Server"


def _run_with_uploaded_key(monkeypatch: pytest.MonkeyPatch, labels: dict[str, str]) -> ProgramRun:
    uploaded = {
        "id": 4711,
        "name": "ops laptop",
        "fingerprint": TEAM_KEY_MD5,
        "publicKey": "",
        "labels": labels,
    }

    class ProjectWithKey(PlatformMocks):
        def call(
            self, args: pulumi.runtime.MockCallArgs
        ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
            if args.token == "hcloud:index/getSshKeys:getSshKeys":
                return {"id": "ssh-keys", "sshKeys": [uploaded]}, []
            return super().call(args)

    monkeypatch.setattr(offline.program, "PlatformMocks", ProjectWithKey)
    return run_program("dev")


def test_a_key_uploaded_by_hand_is_used_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run_with_uploaded_key(monkeypatch, {})
    assert run.of_type(SSH_KEY) == []
    servers = run.of_type(SERVER)
    assert servers and all(s.plain("sshKeys") == ["4711"] for s in servers)


def test_a_key_this_stack_uploaded_stays_managed(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run_with_uploaded_key(monkeypatch, {"platform/project": "platform", "platform/stack": "dev"})
    (key,) = run.of_type(SSH_KEY)
    assert key.plain("labels")["platform/stack"] == "dev"
    servers = run.of_type(SERVER)
    assert all(s.plain("sshKeys") == [key.id] for s in servers)


def test_another_stacks_key_is_used_not_duplicated(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run_with_uploaded_key(monkeypatch, {"platform/project": "platform", "platform/stack": "prod"})
    assert run.of_type(SSH_KEY) == []
