"""The guard matches moved resources with their old state entries as the Pulumi engine does
(pkg/resource/deploy/step_generator.go), so an alias that the engine would not follow fails the guard.

The expected URNs are written out by hand from the engine's rules: a URN is
`urn:pulumi:<stack>::<project>::<parent's qualified type>$<type>::<name>` (the root stack adds no type);
an alias spec without name, type or parent takes the resource's own; a child of a resource that matched
through an alias also tries its name under the parent's old URN.
"""

from __future__ import annotations

from typing import Any

from offline.program import ProgramRun, Registration
from offline.stack_file import StackSettings

from .fingerprint import resolve

STACK = "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev"
CLUSTER = "urn:pulumi:dev::platform::platform:index:K3sCluster::k3s"
ADDONS = "urn:pulumi:dev::platform::platform:index:ClusterAddons::k3s"
CLUSTER_RELEASE = "urn:pulumi:dev::platform::platform:index:K3sCluster$kubernetes:helm.sh/v3:Release::k3s-ccm"
ADDONS_RELEASE = (
    "urn:pulumi:dev::platform::platform:index:ClusterAddons$kubernetes:helm.sh/v3:Release::k3s-ccm"
)
OLDS = {CLUSTER, CLUSTER_RELEASE}


def _registration(urn: str, parent: str, aliases: list[dict[str, Any]] | None = None) -> Registration:
    qualified, name = urn.split("::")[2], urn.split("::")[3]
    return Registration(
        urn=urn,
        type=qualified.rsplit("$", 1)[-1],
        name=name,
        parent=parent,
        custom=not qualified.startswith("platform:"),
        provider="",
        dependencies=[],
        inputs={},
        protect=False,
        ignore_changes=[],
        delete_before_replace=False,
        additional_secret_outputs=[],
        aliases=aliases or [],
    )


def _run(*registrations: Registration) -> ProgramRun:
    """Registrations whose URNs are the engine's already (their parents are not all registered)."""
    return ProgramRun(StackSettings("platform", "dev", {}, []), list(registrations), {}, set())


def test_a_release_moved_to_a_new_component_with_its_old_parent_as_alias_keeps_its_state() -> None:
    resolved, errors = resolve(
        _run(
            _registration(CLUSTER, STACK),
            _registration(ADDONS, STACK),
            _registration(ADDONS_RELEASE, ADDONS, [{"spec": {"parentUrn": CLUSTER}}]),
        ),
        OLDS,
    )
    assert (resolved[ADDONS_RELEASE], errors) == (CLUSTER_RELEASE, [])


def test_a_release_moved_without_an_alias_is_a_new_resource() -> None:
    resolved, _ = resolve(_run(_registration(ADDONS, STACK), _registration(ADDONS_RELEASE, ADDONS)), OLDS)
    assert resolved[ADDONS_RELEASE] == ADDONS_RELEASE


def test_an_alias_that_names_the_wrong_old_parent_is_not_followed() -> None:
    wrong = "urn:pulumi:dev::platform::platform:index:Network::network"
    resolved, _ = resolve(
        _run(_registration(ADDONS_RELEASE, ADDONS, [{"spec": {"parentUrn": wrong}}])),
        OLDS,
    )
    assert resolved[ADDONS_RELEASE] == ADDONS_RELEASE


def test_children_follow_a_component_that_moved_through_an_alias() -> None:
    """The engine's inherited child alias: the parent matched its old URN, so the child is tried
    under it too, with the parent's old name in place of its new one at the front of its own name."""
    renamed = "urn:pulumi:dev::platform::platform:index:ClusterAddons::cluster"
    child = (
        "urn:pulumi:dev::platform::platform:index:ClusterAddons$kubernetes:helm.sh/v3:Release::cluster-ccm"
    )
    resolved, errors = resolve(
        _run(
            _registration(renamed, STACK, [{"spec": {"name": "k3s", "type": "platform:index:K3sCluster"}}]),
            _registration(child, renamed),
        ),
        OLDS,
    )
    assert (resolved[renamed], resolved[child], errors) == (CLUSTER, CLUSTER_RELEASE, [])


def test_two_resources_claiming_one_old_entry_is_an_error() -> None:
    other = "urn:pulumi:dev::platform::platform:index:Day2$kubernetes:helm.sh/v3:Release::k3s-ccm"
    day2 = "urn:pulumi:dev::platform::platform:index:Day2::k3s"
    _, errors = resolve(
        _run(
            _registration(ADDONS_RELEASE, ADDONS, [{"spec": {"parentUrn": CLUSTER}}]),
            _registration(other, day2, [{"spec": {"parentUrn": CLUSTER}}]),
        ),
        OLDS,
    )
    assert errors == [f"{other} and {ADDONS_RELEASE} both alias {CLUSTER_RELEASE}"]


def test_an_alias_to_a_resource_the_program_still_registers_is_an_error() -> None:
    _, errors = resolve(
        _run(
            _registration(CLUSTER_RELEASE, CLUSTER),
            _registration(ADDONS_RELEASE, ADDONS, [{"spec": {"parentUrn": CLUSTER}}]),
        ),
        OLDS,
    )
    assert errors == [f"{ADDONS_RELEASE} aliases {CLUSTER_RELEASE}, which the program also registers"]
