"""Workload policies look at the pod template where each kind keeps it, per container, with pod-level
securityContext inherited the way Kubernetes applies it."""

from __future__ import annotations

import pytest

from .policy_fixtures import changed, container, cron_job, deployment, pod, pod_spec
from .policy_wire import UNKNOWN_STRING, Case, Pack, check_case, fired

web = deployment()
C0 = "spec.template.spec.containers.0"


def broken(path: str, value: object) -> list:
    return [changed(web, path, value)]


CASES = [
    Case(
        "workload-no-privileged", broken(f"{C0}.securityContext.privileged", True), [web], "runs privileged"
    ),
    Case(
        "workload-no-host-namespaces",
        broken("spec.template.spec.hostNetwork", True),
        [web],
        "hostNetwork: true",
    ),
    Case("workload-no-host-namespaces", broken("spec.template.spec.hostPID", True), [web], "hostPID: true"),
    Case("workload-no-host-namespaces", broken(f"{C0}.ports.0.hostPort", 3000), [web], "binds hostPort 3000"),
    Case(
        "workload-no-host-path",
        broken(
            "spec.template.spec.volumes",
            [{"name": "sock", "hostPath": {"path": "/run/k3s/containerd/containerd.sock"}}],
        ),
        [changed(web, "spec.template.spec.volumes", [{"name": "tmp", "emptyDir": {}}])],
        "the container runtime socket",
    ),
    Case(
        "workload-run-as-non-root",
        broken("spec.template.spec.securityContext.runAsNonRoot", None),
        [web],
        "may run as root",
    ),
    Case("workload-run-as-non-root", broken(f"{C0}.securityContext.runAsUser", 0), [web], "runs as UID 0"),
    Case(
        "workload-no-privilege-escalation",
        broken(f"{C0}.securityContext.allowPrivilegeEscalation", True),
        [web],
        "allows privilege escalation",
    ),
    Case(
        "workload-drop-all-capabilities",
        broken(f"{C0}.securityContext.capabilities", {"add": ["SYS_ADMIN"]}),
        [changed(web, f"{C0}.securityContext.capabilities", {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})],
        "keeps the default Linux capabilities",
    ),
    Case(
        "workload-drop-all-capabilities",
        broken(f"{C0}.securityContext.capabilities", {"drop": ["ALL"], "add": ["NET_RAW"]}),
        [web],
        "adds capabilities NET_RAW",
    ),
    Case(
        "workload-seccomp-runtime-default",
        broken("spec.template.spec.securityContext.seccompProfile", {"type": "Unconfined"}),
        [web],
        "runs with seccomp Unconfined",
    ),
    Case(
        "workload-read-only-root-fs",
        broken(f"{C0}.securityContext.readOnlyRootFilesystem", False),
        [web],
        "can write its root filesystem",
    ),
    Case("workload-resources", broken(f"{C0}.resources.limits", {}), [web], "has no limits.memory"),
    Case(
        "workload-image-pinned",
        broken(f"{C0}.image", "ghcr.io/acme/web:latest"),
        [web],
        "uses the `latest` tag",
    ),
    Case(
        "workload-image-pinned",
        broken(f"{C0}.image", "registry.example.com:5000/acme/web"),
        [changed(web, f"{C0}.image", "registry.example.com:5000/acme/web@sha256:" + "0" * 64)],
        "has no tag, so it means `latest`",
    ),
    Case("workload-probes", broken(f"{C0}.readinessProbe", None), [web], "has no readinessProbe"),
    Case(
        "workload-no-token-automount",
        broken("spec.template.spec.automountServiceAccountToken", None),
        [changed(web, "spec.template.spec.automountServiceAccountToken", True)],
        "API token mounted by default",
    ),
    Case(
        "workload-no-secret-env-literals",
        broken(f"{C0}.env", [{"name": "SUPABASE_SERVICE_ROLE_KEY", "value": "hunter2hunter2"}]),
        [web],
        "env SUPABASE_SERVICE_ROLE_KEY looks like a credential",
    ),
    Case(
        "workload-no-secret-env-literals",
        broken(f"{C0}.env", [{"name": "DATABASE", "value": "postgres://app:pw@db.internal:5432/app"}]),
        [web],
        "holds a URL with a password",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_policy_fires_on_violation_and_is_quiet_on_compliance(case: Case) -> None:
    check_case(case)


def test_the_compliant_workload_passes_every_workload_policy() -> None:
    diagnostics = Pack().run(
        [web, cron_job(), pod(), deployment(kind="StatefulSet"), deployment(kind="DaemonSet")]
    )
    assert [d for d in diagnostics if d.policy.startswith("workload-")] == []


def test_cron_job_pod_template_is_read_four_levels_down() -> None:
    bad = cron_job(pod_spec(containers=[container("ingest", image="busybox")], restartPolicy="OnFailure"))
    (diagnostic,) = fired(Pack().analyze(bad), "workload-image-pinned")
    assert "CronJob app/ingest: container 'ingest' image 'busybox' has no tag" in diagnostic.message


def test_jobs_need_no_probes_but_bare_pods_do() -> None:
    assert fired(Pack().analyze(cron_job()), "workload-probes") == []
    naked = pod(pod_spec(containers=[container("shell", livenessProbe=None, readinessProbe=None)]))
    assert fired(Pack().analyze(naked), "workload-probes")


def test_init_containers_are_checked_too() -> None:
    init = container("migrate", securityContext={"privileged": True})
    (diagnostic,) = fired(Pack().analyze(pod(pod_spec(initContainers=[init]))), "workload-no-privileged")
    assert "init container 'migrate' runs privileged" in diagnostic.message


def test_container_security_context_overrides_the_pod() -> None:
    rooted = changed(web, f"{C0}.securityContext.runAsNonRoot", False)
    assert fired(Pack().analyze(rooted), "workload-run-as-non-root")


def test_secret_values_are_never_echoed_and_references_are_fine() -> None:
    leaked = changed(web, f"{C0}.env", [{"name": "API_TOKEN", "value": "tok_live_abcdef123456"}])
    (diagnostic,) = fired(Pack().analyze(leaked), "workload-no-secret-env-literals")
    assert "tok_live_abcdef123456" not in diagnostic.message
    referenced = changed(web, f"{C0}.env", [{"name": "API_TOKEN", "value": "$(API_TOKEN_FROM_FILE)"}])
    assert fired(Pack().analyze(referenced), "workload-no-secret-env-literals") == []


def test_unknown_image_in_preview_is_not_a_violation() -> None:
    assert fired(Pack().analyze(changed(web, f"{C0}.image", UNKNOWN_STRING)), "workload-image-pinned") == []


def test_namespace_exemption_for_one_policy_only() -> None:
    config = {
        "workload-read-only-root-fs": {
            "exemptions": [
                {"namespace": "app", "name": "web", "reason": "Next.js writes .next/cache at runtime"}
            ]
        }
    }
    writable = changed(web, f"{C0}.securityContext.readOnlyRootFilesystem", False)
    assert fired(Pack(config).analyze(writable), "workload-read-only-root-fs") == []
    assert fired(
        Pack(config).analyze(changed(writable, "metadata.name", "api")), "workload-read-only-root-fs"
    )


def test_advisory_policy_can_be_made_mandatory_per_stack() -> None:
    config = {"workload-probes": {"enforcementLevel": "mandatory"}}
    (diagnostic,) = fired(Pack(config).analyze(changed(web, f"{C0}.livenessProbe", None)), "workload-probes")
    assert diagnostic.level == "mandatory"
    assert (
        fired(
            Pack({"workload-probes": {"enforcementLevel": "disabled"}}).analyze(
                changed(web, f"{C0}.livenessProbe", None)
            ),
            "workload-probes",
        )
        == []
    )
