"""A component is complete when its constructor ends: nothing registers a child of a component after that
component's `register_outputs` (the object store used to grant access to its consumers afterwards)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from offline.program import run_program

SELF_HOSTED = {
    "supabase.mode": "self-hosted",
    "supabase.host": "supabase.dev.example.com",
    "supabase.siteUrl": "https://app.dev.example.com",
    "supabase.emailAutoconfirm": True,
    "objectStore.buckets": [{"name": "uploads"}, {"name": "supabase-storage"}],
}


@pytest.mark.parametrize(("stack", "overrides"), [("dev", SELF_HOSTED), ("prod", {})])
def test_no_child_is_registered_under_a_closed_component(
    stack: str, overrides: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[pulumi.ComponentResource] = []
    late: list[str] = []
    register_outputs = pulumi.ComponentResource.register_outputs
    resource_init = pulumi.Resource.__init__

    def closing(self: pulumi.ComponentResource, outputs: Any) -> None:
        closed.append(self)
        register_outputs(self, outputs)

    def checked_init(self: pulumi.Resource, t: str, name: str, *args: Any, **kwargs: Any) -> None:
        opts = kwargs.get("opts") if "opts" in kwargs else (args[2] if len(args) > 2 else None)
        parent = opts.parent if isinstance(opts, pulumi.ResourceOptions) else None
        if any(parent is component for component in closed):
            late.append(f"{t} {name}")
        resource_init(self, t, name, *args, **kwargs)

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", closing)
    monkeypatch.setattr(pulumi.Resource, "__init__", checked_init)
    run = run_program(stack, overrides=overrides)
    assert any(r.name.startswith("object-store-") for r in run.resources)
    assert len(closed) >= 9  # every component closed, so the check saw them all
    assert late == []
