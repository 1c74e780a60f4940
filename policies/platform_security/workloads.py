"""Workloads: the pod template of every Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob and Pod,
checked against Pod Security "restricted" and the hygiene rows of dr_obs_policy.md §C.2."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from .framework import Doc, Settings, Subject, resource_policy
from .props import UNKNOWN, items, peek
from .secrets import is_literal, secret_like_name, secret_value_kind

FAMILY = "workloads"
MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

_TEMPLATE = ("spec", "template", "spec")
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": _TEMPLATE,
    "kubernetes:apps/v1:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1:DaemonSet": _TEMPLATE,
    "kubernetes:apps/v1:ReplicaSet": _TEMPLATE,
    "kubernetes:batch/v1:Job": _TEMPLATE,
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_RUN_TO_COMPLETION = {"kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"}
RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "k3s/containerd")


@dataclass(frozen=True)
class Container:
    kind: str  # "container" or "init container"
    name: str
    spec: Any

    def security(self, key: str) -> Any:
        return peek(self.spec, "securityContext", key)

    def __str__(self) -> str:
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class PodTemplate:
    subject: Subject
    spec: Any

    @property
    def long_running(self) -> bool:
        if self.subject.type in _RUN_TO_COMPLETION:
            return False
        return peek(self.spec, "restartPolicy", default="Always") == "Always"

    def containers(self) -> Iterator[Container]:
        for key, kind in (("initContainers", "init container"), ("containers", "container")):
            for spec in items(peek(self.spec, key)):
                yield Container(kind, str(peek(spec, "name", default="?")), spec)

    def effective(self, container: Container, key: str) -> Any:
        """A securityContext field as Kubernetes applies it: the container's, else the pod's."""
        value = container.security(key)
        return peek(self.spec, "securityContext", key) if value is None else value


PodCheck = Callable[[PodTemplate], Iterable[str]]


def pod_template(subject: Subject) -> PodTemplate | None:
    path = POD_SPEC_PATHS.get(subject.type)
    spec = peek(subject.props, *path) if path else None
    return None if spec is None or spec is UNKNOWN else PodTemplate(subject, spec)


def workload_policy(
    *,
    name: str,
    description: str,
    level: EnforcementLevel,
    check: PodCheck,
    doc: Doc,
    severity: Severity = Severity.HIGH,
) -> ResourceValidationPolicy:
    """A resource policy over the pod template, at the nesting level each workload kind keeps it."""

    def run(subject: Subject, settings: Settings) -> Iterator[str]:
        pod = pod_template(subject)
        if pod is not None:
            yield from (f"{subject.display}: {message}" for message in check(pod))

    return resource_policy(
        name=name,
        description=description,
        level=level,
        types=POD_SPEC_PATHS,
        check=run,
        doc=doc,
        severity=severity,
    )


def _doc(prevents: str, comply: str) -> Doc:
    return Doc(
        family=FAMILY,
        prevents=prevents,
        comply=comply,
        exempt="`exemptions` by workload name and/or namespace",
    )


# --- Pod Security "baseline": host access ---------------------------------------------------------------


def _privileged(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        if c.security("privileged") is True:
            yield f"{c} runs privileged (full access to the node). Remove securityContext.privileged."


def _host_namespaces(pod: PodTemplate) -> Iterator[str]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if peek(pod.spec, key) is True:
            yield f"the pod sets {key}: true and shares the node's namespace. Remove it."
    for c in pod.containers():
        for port in items(peek(c.spec, "ports")):
            if peek(port, "hostPort") not in (None, 0, 0.0):
                yield f"{c} binds hostPort {int(peek(port, 'hostPort'))} on the node. Use a Service instead."


def _host_path(pod: PodTemplate) -> Iterator[str]:
    for volume in items(peek(pod.spec, "volumes")):
        path = peek(volume, "hostPath", "path")
        if path is None:
            continue
        socket = next((s for s in RUNTIME_SOCKETS if isinstance(path, str) and s in path), None)
        what = f"the container runtime socket ({path}), which is root on the node" if socket else f"{path}"
        yield (
            f"volume '{peek(volume, 'name')}' mounts the node's {what} via hostPath. "
            "Use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret instead."
        )


no_privileged = workload_policy(
    name="workload-no-privileged",
    description="Containers must not run privileged.",
    level=MANDATORY,
    check=_privileged,
    severity=Severity.CRITICAL,
    doc=_doc(
        "A container with every capability and all devices of the node (PSS baseline).",
        "Drop `privileged: true`; ask for the one capability you need, if any.",
    ),
)
no_host_namespaces = workload_policy(
    name="workload-no-host-namespaces",
    description="Pods must not share the node's network, PID or IPC namespace, nor bind host ports.",
    level=MANDATORY,
    check=_host_namespaces,
    severity=Severity.CRITICAL,
    doc=_doc(
        "Pods that see node traffic and processes, or bind ports on the node (PSS baseline).",
        "Remove hostNetwork/hostPID/hostIPC/hostPort; expose through a Service.",
    ),
)
no_host_path = workload_policy(
    name="workload-no-host-path",
    description="Pods must not mount host paths, least of all the container runtime socket.",
    level=MANDATORY,
    check=_host_path,
    severity=Severity.CRITICAL,
    doc=_doc(
        "Reading or writing node files; a mounted runtime socket is root on the node.",
        "Use PVCs, emptyDir, ConfigMaps or Secrets.",
    ),
)


# --- Pod Security "restricted" -----------------------------------------------------------------------


def _run_as_non_root(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        if pod.effective(c, "runAsUser") in (0, 0.0):
            yield f"{c} runs as UID 0 (runAsUser: 0). Use a non-zero UID."
        elif pod.effective(c, "runAsNonRoot") is not True:
            yield f"{c} may run as root: set securityContext.runAsNonRoot: true (pod or container)."


def _privilege_escalation(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        if c.security("allowPrivilegeEscalation") is not False:
            yield f"{c} allows privilege escalation (setuid binaries). Set allowPrivilegeEscalation: false."


_ALLOWED_ADDS = {"NET_BIND_SERVICE"}


def _capabilities(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        caps = c.security("capabilities")
        drop = {str(x).upper() for x in items(peek(caps, "drop"))}
        added = sorted({str(x).upper() for x in items(peek(caps, "add"))} - _ALLOWED_ADDS)
        if "ALL" not in drop:
            yield f"{c} keeps the default Linux capabilities. Set capabilities.drop: [ALL]."
        if added:
            yield f"{c} adds capabilities {', '.join(added)}; only NET_BIND_SERVICE may be added back."


def _seccomp(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        profile = peek(c.spec, "securityContext", "seccompProfile", "type") or peek(
            pod.spec, "securityContext", "seccompProfile", "type"
        )
        if profile not in ("RuntimeDefault", "Localhost"):
            shown = f"seccomp {profile}" if profile else "no seccomp profile"
            yield f"{c} runs with {shown}. Set securityContext.seccompProfile.type: RuntimeDefault."


def _read_only_root(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        if c.security("readOnlyRootFilesystem") is not True:
            yield (
                f"{c} can write its root filesystem. Set readOnlyRootFilesystem: true and mount an emptyDir "
                "where the app must write (/tmp, caches)."
            )


run_as_non_root = workload_policy(
    name="workload-run-as-non-root",
    description="Containers must run as a non-root user.",
    level=MANDATORY,
    check=_run_as_non_root,
    doc=_doc(
        "Root inside the container, one kernel bug away from root on the node (PSS restricted).",
        "`runAsNonRoot: true` and a non-zero `runAsUser` in the pod securityContext.",
    ),
)
no_privilege_escalation = workload_policy(
    name="workload-no-privilege-escalation",
    description="Containers must set allowPrivilegeEscalation: false.",
    level=MANDATORY,
    check=_privilege_escalation,
    doc=_doc(
        "Gaining privileges through setuid binaries (PSS restricted).",
        "`allowPrivilegeEscalation: false` in every container's securityContext.",
    ),
)
drop_all_capabilities = workload_policy(
    name="workload-drop-all-capabilities",
    description="Containers must drop ALL capabilities and add back at most NET_BIND_SERVICE.",
    level=MANDATORY,
    check=_capabilities,
    doc=_doc(
        "NET_RAW spoofing, SYS_ADMIN and the other default or added capabilities (PSS restricted).",
        "`capabilities: {drop: [ALL]}`; add NET_BIND_SERVICE only for ports below 1024.",
    ),
)
seccomp_runtime_default = workload_policy(
    name="workload-seccomp-runtime-default",
    description="Containers must run with the RuntimeDefault (or a Localhost) seccomp profile.",
    level=MANDATORY,
    check=_seccomp,
    doc=_doc(
        "Unfiltered system calls into the shared kernel (PSS restricted).",
        "`seccompProfile: {type: RuntimeDefault}` in the pod securityContext.",
    ),
)
read_only_root_fs = workload_policy(
    name="workload-read-only-root-fs",
    description="Containers should have a read-only root filesystem.",
    level=ADVISORY,
    check=_read_only_root,
    severity=Severity.MEDIUM,
    doc=_doc(
        "An attacker persisting tools or changing binaries inside a running container.",
        "`readOnlyRootFilesystem: true` plus emptyDir mounts where the app writes; advisory, since some "
        "apps must write.",
    ),
)


# --- hygiene and supply chain ---------------------------------------------------------------------------


def _resources(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        missing = [
            f"{section}.{key}"
            for section, key in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory"))
            if peek(c.spec, "resources", section, key) is None
        ]
        if missing:
            yield (
                f"{c} has no {', '.join(missing)}. Without requests the scheduler overpacks nodes; without a "
                "memory limit one leak takes the node down."
            )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_reference_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None (a digest, or a tag other than `latest`)."""
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, so it means `latest`"
    tag = last.rsplit(":", 1)[1]
    if tag == "latest" or not tag:
        return "uses the `latest` tag"
    return None


def _image_pinned(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        image = peek(c.spec, "image")
        if image is UNKNOWN:
            continue
        if not isinstance(image, str) or not image:
            yield f"{c} names no image."
            continue
        problem = image_reference_problem(image)
        if problem:
            yield (
                f"{c} image '{image}' {problem}: every restart may run different code. Pin a version tag "
                "(from components/versions.py or stack config) or a digest."
            )


def _probes(pod: PodTemplate) -> Iterator[str]:
    if not pod.long_running:
        return
    for c in pod.containers():
        if c.kind != "container":
            continue
        missing = [p for p in ("livenessProbe", "readinessProbe") if peek(c.spec, p) is None]
        if missing:
            yield (
                f"{c} has no {' or '.join(missing)}: traffic reaches it before it is ready and a hung "
                "process is never restarted. Add both (startupProbe for slow starts)."
            )


def _token_automount(pod: PodTemplate) -> Iterator[str]:
    if peek(pod.spec, "automountServiceAccountToken") is None:
        yield (
            "the pod gets a Kubernetes API token mounted by default. Set "
            "automountServiceAccountToken: false, "
            "or true explicitly if the workload talks to the API."
        )


def _secret_env(pod: PodTemplate) -> Iterator[str]:
    for c in pod.containers():
        for env in items(peek(c.spec, "env")):
            name, value = peek(env, "name"), peek(env, "value")
            if not isinstance(name, str) or not isinstance(value, str) or not is_literal(value):
                continue
            kind = secret_value_kind(value)
            if kind or secret_like_name(name):
                looks = f"holds {kind}" if kind else "looks like a credential"
                yield (
                    f"{c} env {name} {looks} written as a literal value, readable by anyone who can read the "
                    "workload. Put it in a Secret and use valueFrom.secretKeyRef."
                )


resources_set = workload_policy(
    name="workload-resources",
    description="Containers should request CPU and memory and set a memory limit.",
    level=ADVISORY,
    check=_resources,
    severity=Severity.MEDIUM,
    doc=_doc(
        "Overcommitted nodes and one leaking container evicting its neighbours.",
        "`resources.requests.{cpu,memory}` and `resources.limits.memory`.",
    ),
)
image_pinned = workload_policy(
    name="workload-image-pinned",
    description="Container images must be pinned by version tag or digest, never `latest` or untagged.",
    level=MANDATORY,
    check=_image_pinned,
    doc=_doc(
        "Unreviewed code arriving on the next restart, and rollbacks that do not roll back.",
        "A version tag or `@sha256:` digest; versions live in components/versions.py.",
    ),
)
probes_set = workload_policy(
    name="workload-probes",
    description="Long-running containers should have liveness and readiness probes.",
    level=ADVISORY,
    check=_probes,
    severity=Severity.MEDIUM,
    doc=_doc(
        "Traffic to pods that are not ready and hung processes that are never restarted.",
        "`livenessProbe` and `readinessProbe` on every container of Deployments, StatefulSets, DaemonSets.",
    ),
)
no_token_automount = workload_policy(
    name="workload-no-token-automount",
    description="Pods must not mount a service-account token unless they ask for it.",
    level=MANDATORY,
    check=_token_automount,
    doc=_doc(
        "A stolen pod handing out a Kubernetes API credential it never needed.",
        "`automountServiceAccountToken: false`, or `true` explicitly where the API is used.",
    ),
)
no_secret_env_literals = workload_policy(
    name="workload-no-secret-env-literals",
    description="Container env must not carry secret-looking literal values.",
    level=MANDATORY,
    check=_secret_env,
    severity=Severity.CRITICAL,
    doc=_doc(
        "Passwords, tokens, keys and credentialed URLs in plain sight in the workload spec and state.",
        "`valueFrom.secretKeyRef` to a Secret created from a Pulumi secret.",
    ),
)
