"""The resource graph of one offline preview, in the form the Pulumi engine compares it with its state.

A fingerprint holds, per resource, what `pulumi up` would act on: URN, type, inputs (every top-level
input by digest, secrets by the digest of what they hold), protect, ignore_changes,
deleteBeforeReplace, the provider, dependencies and the other options the engine stores. It is taken
once from the code before a refactor (the baseline) and compared with the current code's.

Resources that moved keep their old state entry only through `aliases`; `resolve` finds it as the
engine does (pulumi/pulumi pkg/resource/deploy/step_generator.go: `generateSteps` looks the new URN up
first, then each alias in order; `collapseAliasToUrn` fills an alias spec's missing name, type and
parent from the resource, and takes the parent's old URN when the parent itself matched through an
alias; `generateAliases` adds the aliases a child inherits from an aliased parent). References to other
resources (provider, dependencies, deletedWith) are compared by the old URN they resolve to.

Stand-ins: keys, certificates and the Supabase key timestamp come from `StandInMocks`, a function of
(stack, type, resource name, inputs) only, so a baseline taken in another process compares down to the
secrets, and a resource that moves under a new parent (same name) keeps its stand-ins, as it keeps its
state. A renamed resource gets new stand-ins: renaming is not what this refactor does.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dill
import pulumi
import yaml

from offline.mocks import PlatformMocks
from offline.program import ProgramRun, Registration, run_program
from offline.wire import is_secret, reveal

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"

SELF_HOSTED: dict[str, Any] = {
    "supabase.mode": "self-hosted",
    "supabase.host": "supabase.example.com",
    "supabase.siteUrl": "https://app.example.com",
    "supabase.emailAutoconfirm": True,
}
AUTOSCALER: dict[str, Any] = {
    "enabled": True,
    "minNodes": 0,
    "maxNodes": 5,
    "serverType": "cpx42",
    "labels": {"tier": "burst"},
}


@dataclass(frozen=True)
class Case:
    """One offline preview the refactor must leave alone: a committed stack with config overrides."""

    stack: str
    overrides: Mapping[str, Any]


CASES: dict[str, Case] = {
    "dev": Case("dev", {}),
    "prod": Case("prod", {}),
    "dev-self-hosted": Case(
        "dev", {**SELF_HOSTED, "objectStore.buckets": [{"name": "uploads"}, {"name": "supabase-storage"}]}
    ),
    "prod-self-hosted": Case(
        "prod",
        {
            **SELF_HOSTED,
            "objectStore.buckets": [{"name": "example-prod-uploads"}, {"name": "example-prod-supabase"}],
            "supabase.storageBucket": "example-prod-supabase",
        },
    ),
    # The optional autoscaled pool (its Hetzner token in a Secret, its subnet): no committed stack has it.
    "prod-autoscaler": Case("prod", {"cluster.autoscaler": AUTOSCALER}),
}

_TLS_OUTPUTS = {
    "tls:index/privateKey:PrivateKey": (
        "privateKeyPem",
        "privateKeyPemPkcs8",
        "privateKeyOpenssh",
        "publicKeyPem",
        "publicKeyOpenssh",
        "publicKeyFingerprintSha256",
    ),
    "tls:index/selfSignedCert:SelfSignedCert": ("certPem", "validityStartTime", "validityEndTime"),
    "tls:index/locallySignedCert:LocallySignedCert": ("certPem", "validityStartTime", "validityEndTime"),
    "tls:index/certRequest:CertRequest": ("certRequestPem",),
}
PINNED_TIME = "2026-01-01T00:00:00Z"
"""The moment every time.Static without its own `rfc3339` records (the mock records "now")."""


DYNAMIC_PROVIDER = "__provider"
"""A dynamic resource's pickled provider, code included (components/k3s/by_value.py). The engine hands
old and new state to the *new* provider's `diff`, which compares the declared inputs only; so the
pickle itself is left out of the inputs here, and `dynamic_provider_diffs` asks each new provider."""


def digest(value: Any) -> str:
    """sha256 (first 16 hex digits) of a value's canonical JSON."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


class StandInMocks(PlatformMocks):
    """PlatformMocks whose tls and time answers depend only on (stack, type, name, inputs).

    The program only passes keys and certificates on (kubeconfig, user-data, Secrets), it never parses
    them, so a stand-in string serves as well as a real key for comparing two renders."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ in _TLS_OUTPUTS:
            inputs = reveal(args.inputs)
            seed = json.dumps([pulumi.get_stack(), args.typ, args.name, inputs], sort_keys=True)
            outputs = {key: f"stand-in {key} {digest([seed, key])}" for key in _TLS_OUTPUTS[args.typ]}
            return self._id(args.typ, args.name), {**inputs, **outputs, "readyForRenewal": False}
        if args.typ == "time:index/static:Static" and not reveal(args.inputs).get("rfc3339"):
            args.inputs = {**args.inputs, "rfc3339": PINNED_TIME}
        return super().new_resource(args)


def render(case: Case) -> ProgramRun:
    return run_program(case.stack, overrides=case.overrides, mocks=StandInMocks())


# -- URNs as the engine builds them (pkg/resource/urn.go) -----------------------------------------------


def qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def urn_type(urn: str) -> str:
    return qualified_type(urn).rsplit("$", 1)[-1]


def _new_urn(stack: str, project: str, parent_type: str, typ: str, name: str) -> str:
    qualified = typ if parent_type in ("", ROOT_STACK_TYPE) else f"{parent_type}${typ}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def _create_urn(name: str, typ: str, parent: str, project: str, stack: str) -> str:
    if parent:
        return f"{parent.rsplit('::', 1)[0]}${typ}::{name}"
    return f"urn:pulumi:{stack}::{project}::{typ}::{name}"


@dataclass
class _Engine:
    """The part of the engine's step generator that matches new resources with old state entries."""

    olds: set[str]
    stack: str
    project: str

    def __post_init__(self) -> None:
        self.aliased_parent: dict[str, str] = {}
        """new URN -> old URN, for resources that matched through an alias (`sg.aliases`)."""
        self.claimed: dict[str, str] = {}
        self.errors: list[str] = []

    def _collapse(self, goal: Registration, alias: dict[str, Any]) -> str:
        if alias.get("urn"):
            return str(alias["urn"])
        spec = alias.get("spec", {})
        # No parent in the spec: the resource's own. One given: its old URN if it moved itself.
        parent = spec.get("parentUrn") or ""
        parent = self.aliased_parent.get(parent, parent) if parent else goal.parent
        if spec.get("noParent") or (parent and qualified_type(parent) == ROOT_STACK_TYPE):
            parent = ""
        return _create_urn(
            spec.get("name") or goal.name,
            spec.get("type") or goal.type,
            parent,
            spec.get("project") or self.project,
            spec.get("stack") or self.stack,
        )

    def _inherited(self, child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
        name = child_name
        if child_name.startswith(parent_name):
            name = urn_name(parent_alias) + child_name[len(parent_name) :]
        return _new_urn(self.stack, self.project, qualified_type(parent_alias), child_type, name)

    def aliases(self, goal: Registration) -> list[str]:
        result: list[str] = []
        for urn in self._alias_urns(goal):
            if urn not in result:
                result.append(urn)
        return result

    def _alias_urns(self, goal: Registration) -> Iterable[str]:
        for alias in goal.aliases:
            yield self._collapse(goal, alias)
        parent_alias = self.aliased_parent.get(goal.parent) if goal.parent else None
        if parent_alias is not None:
            parent_name = urn_name(goal.parent)
            yield self._inherited(goal.type, goal.name, parent_name, parent_alias)
            for alias in goal.aliases:
                old = self._collapse(goal, alias)
                yield self._inherited(urn_type(old), urn_name(old), parent_name, parent_alias)

    def match(self, goal: Registration, new_urns: set[str]) -> str | None:
        """The old URN whose state this resource takes over, or None (a create)."""
        for candidate in [goal.urn, *self.aliases(goal)]:
            if candidate not in self.olds:
                continue
            if candidate != goal.urn:
                if candidate in new_urns:
                    self.errors.append(f"{goal.urn} aliases {candidate}, which the program also registers")
                if candidate in self.claimed:
                    self.errors.append(f"{goal.urn} and {self.claimed[candidate]} both alias {candidate}")
                self.claimed[candidate] = goal.urn
                self.aliased_parent[goal.urn] = candidate
            return candidate
        return None


def engine_urns(run: ProgramRun) -> dict[str, str]:
    """The URN the engine gives each registration, by the URN the mock monitor gave it.

    They differ: the SDK's mock monitor qualifies a type with its parent's last type only, the root
    stack's included (`pulumi:pulumi:Stack$platform:index:Network`); the engine with the parent's whole
    qualified type, the root stack's left out (pkg/resource/urn.go `NewURN`). A parent that was not
    registered (a synthetic test) is taken as an engine URN already."""
    settings = run.settings
    by_urn = {r.urn: r for r in run.resources}
    urns: dict[str, str] = {}

    def engine(urn: str) -> str:
        if urn not in by_urn:
            return urn
        if urn not in urns:
            r = by_urn[urn]
            parent = engine(r.parent) if r.parent else ""
            parent_type = qualified_type(parent) if parent else ""
            urns[urn] = _new_urn(settings.stack, settings.project, parent_type, r.type, r.name)
        return urns[urn]

    for urn in by_urn:
        engine(urn)
    return urns


def _alias_in_engine_form(alias: dict[str, Any], urns: Mapping[str, str]) -> dict[str, Any]:
    spec = alias.get("spec")
    if spec and spec.get("parentUrn"):
        return {"spec": {**spec, "parentUrn": urns.get(spec["parentUrn"], spec["parentUrn"])}}
    return alias


def resolve(run: ProgramRun, olds: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Each registration (by its mock URN) -> the old URN the engine would update in its place, or its
    own engine URN when it has none (a create); and what the engine would refuse."""
    settings = run.settings
    urns = engine_urns(run)
    engine = _Engine(set(olds), settings.stack, settings.project)
    goals = [
        dataclasses.replace(
            r,
            urn=urns[r.urn],
            parent=urns.get(r.parent, r.parent),
            aliases=[_alias_in_engine_form(a, urns) for a in r.aliases],
        )
        for r in run.resources
        if r.type != ROOT_STACK_TYPE
    ]
    new_urns = {goal.urn for goal in goals}
    matched: dict[str, str] = {}
    # The engine sees a parent before its children (a child cannot register before its parent's URN).
    for goal in sorted(goals, key=lambda g: (qualified_type(g.urn).count("$"), g.urn)):
        old = engine.match(goal, new_urns)
        matched[goal.urn] = old if old is not None else goal.urn
    return {mock: matched.get(urn, urn) for mock, urn in urns.items()}, engine.errors


# -- the fingerprint ---------------------------------------------------------------------------------------


CLOUD_CONFIG_HEADER = "#cloud-config\n"


def _as_read(value: Any) -> Any:
    """A #cloud-config user-data as cloud-init reads it (the parsed document: key order and YAML
    scalar style are the renderer's, not cloud-init's, business); anything else as it is."""
    if isinstance(value, str) and value.startswith(CLOUD_CONFIG_HEADER):
        return {"cloud-config": yaml.safe_load(value)}
    return value


def comparable(value: Any) -> Any:
    """The value with every secret replaced by the digest of what it holds, so a change inside a Secret,
    a user-data or a kubeconfig shows without the secret itself being compared or printed."""
    if is_secret(value):
        return {"secret-sha256": digest(_as_read(reveal(value)))}
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def _provider_urn(reference: str) -> str:
    return reference.rsplit("::", 1)[0] if reference else ""


def fingerprint(run: ProgramRun, resolved: Mapping[str, str]) -> dict[str, Any]:
    """The graph keyed by the URNs `resolve` found, every reference to another resource by its too."""
    names = dict(resolved)

    def ref(urn: str) -> str:
        return names.get(urn, urn)

    resources: dict[str, Any] = {}
    for r in run.resources:
        if r.type == ROOT_STACK_TYPE:
            continue
        options = dict(r.options)
        if "deletedWith" in options:
            options["deletedWith"] = ref(options["deletedWith"])
        if "replaceWith" in options:
            options["replaceWith"] = sorted(ref(u) for u in options["replaceWith"])
        resources[ref(r.urn)] = {
            "type": r.type,
            "custom": r.custom,
            "protect": r.protect,
            "ignoreChanges": sorted(r.ignore_changes),
            "deleteBeforeReplace": r.delete_before_replace,
            "additionalSecretOutputs": sorted(r.additional_secret_outputs),
            "provider": ref(_provider_urn(r.provider)),
            "dependencies": sorted({ref(u) for u in r.dependencies}),
            "options": options,
            "inputs": {
                key: digest(comparable(value))
                for key, value in sorted(r.inputs.items())
                if key != DYNAMIC_PROVIDER
            },
        }
    return {
        "resources": dict(sorted(resources.items())),
        "outputs": {key: digest(comparable(value)) for key, value in sorted(run.outputs.items())},
    }


def _field_change(field: str, before: Any, after: Any) -> str:
    if isinstance(before, list) and isinstance(after, list):
        gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
        return f"{field}: " + " ".join([*(f"-{x}" for x in gone), *(f"+{x}" for x in new)])
    return f"{field}: {before!r} -> {after!r}"


def compare(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs, one line per resource or output; empty when the engine would change nothing.

    A new component (a ComponentResource, no cloud object behind it) is allowed: it only adds a state
    entry. Any other added, removed or changed entry is listed."""
    old, new = baseline["resources"], current["resources"]
    lines = [f"removed: {urn}" for urn in sorted(old.keys() - new.keys())]
    lines += [f"added: {urn}" for urn in sorted(new.keys() - old.keys()) if new[urn]["custom"]]
    for urn in sorted(old.keys() & new.keys()):
        before, after = old[urn], new[urn]
        fields = [
            key
            for key in sorted(before.keys() | after.keys())
            if key != "inputs" and before.get(key) != after.get(key)
        ]
        inputs_before, inputs_after = before["inputs"], after["inputs"]
        keys = sorted(
            key
            for key in inputs_before.keys() | inputs_after.keys()
            if inputs_before.get(key) != inputs_after.get(key)
        )
        if fields or keys:
            what = [
                *(_field_change(f, before.get(f), after.get(f)) for f in fields),
                *(f"inputs.{k}" for k in keys),
            ]
            lines.append(f"changed: {urn}: {'; '.join(what)}")
    for key in sorted(baseline["outputs"].keys() | current["outputs"].keys()):
        if baseline["outputs"].get(key) != current["outputs"].get(key):
            lines.append(f"stack output changed: {key}")
    return lines


def dynamic_provider_diffs(run: ProgramRun) -> list[str]:
    """Each dynamic resource's provider, unpickled from its `__provider` input as the dynamic provider
    host does, must load and find no change between the resource's inputs and themselves."""
    problems = []
    for r in run.resources:
        if DYNAMIC_PROVIDER not in r.inputs:
            continue
        inputs = reveal(r.inputs)
        provider = dill.loads(base64.b64decode(inputs[DYNAMIC_PROVIDER]))
        result = provider.diff(r.id, inputs, inputs)
        if result.changes or result.replaces:
            problems.append(
                f"dynamic provider of {r.urn} reports a change on equal inputs: {result.__dict__}"
            )
    return problems
