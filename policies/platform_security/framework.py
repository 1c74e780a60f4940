"""How a policy in this pack is declared: one check function, its family, its config and its exemptions.

Every policy is built by `resource_policy` or `stack_policy`, so all of them share:
- a config schema with `exemptions` (narrow, named: a Kubernetes namespace and/or a resource name, each
  with a reason) plus the policy's own keys (thresholds, `environment`);
- schema defaults applied here too, because only the Pulumi CLI merges them and the offline preview
  hands the pack whatever the config file says;
- the family tag, the remediation steps and the exemption hint the docs table is generated from.

A check is a plain function that yields violation messages; it never reports, so tests can call it
directly and the message is the one the CLI prints under the policy description.

A subject the pack cannot see yet is *pending*, never compliant and never a violation. On the first
preview of a new stack the kubeconfig is unknown, so the engine never calls pulumi-kubernetes and hands
every Kubernetes resource to the stack policies with empty properties (pulumi/pulumi
provider_plugin.go: Create in preview with unknown provider config returns no properties;
step_generator.go: AnalyzeStack gets those outputs). A stack policy whose check reads such a subject
is reported as "can't run ... during preview" (the SDK's advisory for UnknownValueError), and only
the violations of subjects it can see (not Kubernetes objects) are reported, at the policy's level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .props import UNKNOWN, peek, str_map

ROLE_LABEL = "platform/role"
NAMESPACE = "kubernetes:core/v1:Namespace"

ENVIRONMENTS = ("dev", "staging", "prod")

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this policy does not apply to. Each entry names a Kubernetes namespace, "
    "a resource name (Kubernetes metadata.name or hcloud name; the Pulumi logical name when the "
    "resource has none), or both, "
    "and says why.",
    "default": [],
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["reason"],
        "anyOf": [{"required": ["name"]}, {"required": ["namespace"]}],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "namespace": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 10},
        },
    },
}

ENVIRONMENT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(ENVIRONMENTS),
    "default": "prod",
    "description": "Which environment the stack is. Set it per stack in config.<stack>.json; when it is "
    "missing the pack assumes prod, so forgetting it makes the gate stricter, never weaker.",
}


class _UnseenReadError(Exception):
    """A check read a subject that is not visible yet."""


class PendingError(UnknownValueError):
    """What the SDK reports as "can't run policy ... during preview", with our reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.message = reason


class _Unseen(Mapping[str, Any]):
    """The props of an unseen subject: any read raises, so a check that needs them is detected."""

    def __getitem__(self, key: str) -> Any:
        raise _UnseenReadError(key)

    def __contains__(self, key: object) -> bool:
        raise _UnseenReadError(key)

    def __iter__(self) -> Any:
        raise _UnseenReadError("iteration")

    def __len__(self) -> int:
        raise _UnseenReadError("len")


@dataclass(frozen=True)
class Subject:
    """One resource as a policy sees it, whether from `Analyze` (inputs) or `AnalyzeStack` (outputs)."""

    type: str
    urn: str
    logical_name: str
    props: Mapping[str, Any]
    dependencies: tuple[str, ...] = ()

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def unseen(self) -> bool:
        """A Kubernetes object the engine handed over with no properties (its provider is not
        configured yet, see the module doc); a real object always has at least apiVersion and kind."""
        return self.is_kubernetes and not isinstance(self.props, _Unseen) and len(self.props) == 0

    @property
    def labels(self) -> dict[str, str]:
        if self.is_kubernetes:
            return str_map(peek(self.props, "metadata", "labels"))
        return str_map(peek(self.props, "labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return str_map(peek(self.props, "metadata", "annotations"))

    @property
    def name(self) -> str:
        """The name a user recognises: metadata.name, the hcloud name, else the Pulumi logical name."""
        path = ("metadata", "name") if self.is_kubernetes else ("name",)
        value = peek(self.props, *path)
        return value if isinstance(value, str) and value else self.logical_name

    @property
    def namespace(self) -> str | None:
        """The Kubernetes namespace (a Namespace's own name, so exemptions by namespace cover it too);
        `default` when unset, None when not known yet or not a Kubernetes object."""
        if not self.is_kubernetes:
            return None
        if self.type == NAMESPACE:
            return self.name
        value = peek(self.props, "metadata", "namespace")
        if value is UNKNOWN:
            return None
        return value if isinstance(value, str) and value else "default"

    @property
    def display(self) -> str:
        kind = self.type.rsplit(":", 1)[-1]
        if self.is_kubernetes and self.namespace and kind != "Namespace":
            return f"{kind} {self.namespace}/{self.name}"
        return f"{kind} '{self.name}'"

    @classmethod
    def from_args(cls, args: ResourceValidationArgs) -> Subject:
        return cls(args.resource_type, args.urn, args.name, args.props)

    @classmethod
    def from_stack(cls, resource: PolicyResource) -> Subject:
        deps = {d.urn for d in resource.dependencies}
        for group in resource.property_dependencies.values():
            deps.update(d.urn for d in group)
        return cls(resource.resource_type, resource.urn, resource.name, resource.props, tuple(sorted(deps)))


class PolicyConfigError(ValueError):
    """A policy was configured with a key its schema does not know (a typo would silently do nothing)."""


class Settings(Mapping[str, Any]):
    """A policy's config with its schema defaults filled in, plus the exemption test.

    The CLI validates values against the schema but lets unknown keys through, so they are refused here:
    `"exemption": [...]` for `"exemptions"` must not quietly turn an exemption off or on.
    """

    def __init__(self, policy: str, schema: PolicyConfigSchema, given: Mapping[str, Any] | None) -> None:
        unknown = sorted(set(given or {}) - set(schema.properties) - {"enforcementLevel"})
        if unknown:
            raise PolicyConfigError(
                f"policy {policy}: unknown config key(s) {', '.join(unknown)}; "
                f"it accepts {', '.join(sorted(schema.properties))} (see policies/config.schema.json)"
            )
        defaults = {key: spec["default"] for key, spec in schema.properties.items() if "default" in spec}
        self._values: dict[str, Any] = {**defaults, **dict(given or {})}

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def is_prod(self) -> bool:
        return self._values.get("environment", "prod") == "prod"

    def exempts(self, subject: Subject) -> bool:
        for entry in self._values.get("exemptions", []):
            name, namespace = entry.get("name"), entry.get("namespace")
            if name is not None and name != subject.name:
                continue
            if namespace is not None and namespace != subject.namespace:
                continue
            return True
        return False


@dataclass(frozen=True)
class Doc:
    """What the generated policy table says beyond the policy's own description."""

    family: str
    prevents: str
    comply: str
    exempt: str = "`exemptions` by name or namespace"
    extra: list[str] = field(default_factory=list)


ResourceCheck = Callable[[Subject, Settings], Iterable[str]]
StackCheck = Callable[[list[Subject], Settings], Iterable[tuple[str, str | None]]]

DOCS: dict[str, Doc] = {}


def _schema(extra: Mapping[str, Any] | None) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={"exemptions": EXEMPTIONS_SCHEMA, **dict(extra or {})})


def _metadata(
    name: str,
    description: str,
    level: EnforcementLevel,
    doc: Doc,
    severity: Severity,
    schema: PolicyConfigSchema | None,
) -> dict[str, Any]:
    """The constructor arguments every policy shares; records the policy's row of the docs table."""
    DOCS[name] = doc
    return {
        "name": name,
        "description": description,
        "enforcement_level": level,
        "config_schema": schema,
        "severity": severity,
        "tags": [doc.family],
        "remediation_steps": doc.comply,
    }


def resource_policy(
    *,
    name: str,
    description: str,
    level: EnforcementLevel,
    types: Iterable[str],
    check: ResourceCheck,
    doc: Doc,
    severity: Severity = Severity.HIGH,
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationPolicy:
    """A policy that looks at one resource of the given types at a time."""
    wanted = frozenset(types)
    schema = _schema(config)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        settings = Settings(name, schema, args.get_config())  # first, so a bad key fails on any resource
        if args.resource_type not in wanted:
            return
        subject = Subject.from_args(args)
        if settings.exempts(subject):
            return
        for message in check(subject, settings):
            report(message, None)

    return ResourceValidationPolicy(
        validate=validate, **_metadata(name, description, level, doc, severity, schema)
    )


def stack_policy(
    *,
    name: str,
    description: str,
    level: EnforcementLevel,
    check: StackCheck,
    doc: Doc,
    severity: Severity = Severity.HIGH,
    config: Mapping[str, Any] | None = None,
) -> StackValidationPolicy:
    """A policy that needs several resources at once; exempted resources are left out before the check."""
    schema = _schema(config)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        settings = Settings(name, schema, args.get_config())
        subjects = [Subject.from_stack(r) for r in args.resources]
        unseen = [s for s in subjects if s.unseen]
        if not unseen:
            found, pending = _collect(check, subjects, settings)
            _report(found, subjects, settings, report)
            if pending is not None:
                raise pending
            return
        marked = [
            Subject(s.type, s.urn, s.logical_name, _Unseen(), s.dependencies) if s.unseen else s
            for s in subjects
        ]
        try:
            found, pending = _collect(check, marked, settings)
        except _UnseenReadError:
            visible = [s for s in subjects if not s.unseen]
            found, pending = _collect(check, visible, settings)
            seen = [(m, urn) for m, urn in found if _outside_kubernetes(urn, visible)]
            _report(seen, visible, settings, report)
            reason = (
                f"{len(unseen)} Kubernetes resources have no properties yet (their provider's kubeconfig "
                "is not known before the cluster exists); this policy judges them during `pulumi up`"
            )
            raise PendingError(f"{reason}; {pending.message}" if pending else reason) from None
        _report(found, subjects, settings, report)
        if pending is not None:
            raise pending

    return StackValidationPolicy(
        validate=validate, **_metadata(name, description, level, doc, severity, schema)
    )


def _collect(
    check: StackCheck, subjects: list[Subject], settings: Settings
) -> tuple[list[tuple[str, str | None]], PendingError | None]:
    """Everything the check finds, and its PendingError if it ends with one (after its findings)."""
    found: list[tuple[str, str | None]] = []
    try:
        for item in check(subjects, settings):
            found.append(item)
    except PendingError as pending:
        return found, pending
    return found, None


def _outside_kubernetes(urn: str | None, subjects: list[Subject]) -> bool:
    """A violation that cannot depend on an unseen Kubernetes object: about a visible subject that is
    not a Kubernetes object itself (a stack-wide finding may, so it waits)."""
    offender = next((s for s in subjects if s.urn == urn), None)
    return offender is not None and not offender.is_kubernetes


def _report(
    found: Iterable[tuple[str, str | None]],
    subjects: list[Subject],
    settings: Settings,
    report: ReportViolation,
) -> None:
    for message, urn in found:
        offender = next((s for s in subjects if s.urn == urn), None)
        if offender is not None and settings.exempts(offender):
            continue
        report(message, urn)


def remediation_policy(
    *,
    name: str,
    description: str,
    types: Iterable[str],
    remediate: Callable[[ResourceValidationArgs], Mapping[str, Any] | None],
    doc: Doc,
    severity: Severity = Severity.HIGH,
) -> ResourceValidationPolicy:
    """A policy that rewrites a resource's inputs before analysis (enforcement level `remediate`).

    It has no config: the engine hands a remediation the props it may rewrite, nothing to exempt by.
    """
    wanted = frozenset(types)

    def run(
        args: ResourceValidationArgs,
    ) -> Any:  # the SDK types this as async; its server takes plain values
        return remediate(args) if args.resource_type in wanted else None

    return ResourceValidationPolicy(
        remediate=run, **_metadata(name, description, EnforcementLevel.REMEDIATE, doc, severity, None)
    )
