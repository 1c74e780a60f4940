"""The Supabase component under the offline mocks: what each mode registers, and how it is locked down."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jwt
import pulumi
import pytest

from components.config.supabase import FunctionsConfig, SupabaseConfig
from components.supabase import Supabase, SupabaseArgs
from components.supabase.component import function_files
from components.supabase.keys import ISSUER
from offline.mocks import PlatformMocks
from offline.wire import is_secret, reveal
from tests.k8s_schema import schema_errors
from tests.supabase.settings import FULL_CONFIG

CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class Recorder(PlatformMocks):
    resources: list[Registered] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append(Registered(args.typ, args.name, reveal(args.inputs), args.inputs))
        return super().new_resource(args)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [r.inputs for r in self.resources if r.type == f"kubernetes:{kind}"]


def register(args: SupabaseArgs) -> tuple[Recorder, dict[str, Any]]:
    """Build the component under mocks; return what was registered and its resolved outputs."""
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="platform", stack="dev", preview=False)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def build() -> pulumi.Output[Any]:
        supabase = Supabase("supabase", args)
        return pulumi.Output.all(
            supabase.url, supabase.anon_key, supabase.service_role_key, supabase.dashboard_password
        ).apply(
            lambda values: outputs.update(zip(("url", "anon", "service", "dashboard"), values, strict=True))
        )

    build()
    return recorder, outputs


def self_hosted_args(config: SupabaseConfig = FULL_CONFIG, **changes: Any) -> SupabaseArgs:
    args = SupabaseArgs(
        config=config,
        db_host="10.0.1.20",
        db_port="5432",
        db_name="app",
        db_admin_user="postgres",
        db_admin_password="admin-password",
        db_ca_cert=CA_PEM,
        s3_endpoint="https://fsn1.your-objectstorage.com",
        s3_bucket="supabase",
        s3_region="fsn1",
        s3_access_key_id="s3-key",
        s3_secret_access_key="s3-secret-value-123",
        smtp_password="smtp-password-value-456",
        cluster_issuer="letsencrypt",
    )
    return replace(args, **changes)


@pytest.fixture(scope="module")
def functions_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("functions")
    (root / "main").mkdir()
    (root / "main" / "index.ts").write_text("Deno.serve(() => new Response('ok'))\n")
    (root / "hello").mkdir()
    (root / "hello" / "index.ts").write_text("export default () => 'hello'\n")
    return root


@pytest.fixture(scope="module")
def self_hosted(functions_dir: Path) -> tuple[Recorder, dict[str, Any]]:
    config = FULL_CONFIG.model_copy(
        update={"functions": FULL_CONFIG.functions.model_copy(update={"source_dir": str(functions_dir)})}
    )
    return register(self_hosted_args(config))


# Managed mode -----------------------------------------------------------------------------------


def test_managed_mode_registers_nothing_and_hands_on_the_project_keys() -> None:
    recorder, outputs = register(
        SupabaseArgs(
            config=SupabaseConfig(),
            managed_url="https://abcd.supabase.co",
            managed_anon_key="anon-key",
            managed_service_role_key="service-key",
        )
    )
    assert [r.type for r in recorder.resources] == ["platform:index:Supabase"]
    assert outputs == {
        "url": "https://abcd.supabase.co",
        "anon": "anon-key",
        "service": "service-key",
        "dashboard": None,
    }


# Self-hosted mode -------------------------------------------------------------------------------

SERVICES = {"kong", "auth", "rest", "realtime", "storage", "imgproxy", "meta", "studio", "functions"}


def test_self_hosted_registers_every_service(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, _ = self_hosted
    deployments = {d["metadata"]["name"] for d in recorder.of_kind("apps/v1:Deployment")}
    services = {s["metadata"]["name"] for s in recorder.of_kind("core/v1:Service")}
    assert deployments == services == SERVICES
    assert {d["metadata"]["namespace"] for d in recorder.of_kind("apps/v1:Deployment")} == {"supabase"}


def test_functions_are_optional() -> None:
    recorder, _ = register(
        self_hosted_args(FULL_CONFIG.model_copy(update={"functions": FunctionsConfig(enabled=False)}))
    )
    deployments = {d["metadata"]["name"] for d in recorder.of_kind("apps/v1:Deployment")}
    assert deployments == SERVICES - {"functions"}


def test_derived_keys_verify_and_are_secret(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, outputs = self_hosted
    (env_secret,) = [
        s for s in recorder.resources if s.type == "kubernetes:core/v1:Secret" and s.name == "supabase-env"
    ]
    jwt_secret = env_secret.inputs["stringData"]["jwt-secret"]
    for key, role in ((outputs["anon"], "anon"), (outputs["service"], "service_role")):
        claims = jwt.decode(key, jwt_secret, algorithms=["HS256"], issuer=ISSUER)
        assert claims["role"] == role
    string_data = env_secret.raw["stringData"]
    assert is_secret(string_data) or all(is_secret(value) for value in string_data.values())
    assert outputs["url"] == "https://supabase.example.com"


def _containers(recorder: Recorder) -> list[dict[str, Any]]:
    return [
        c for d in recorder.of_kind("apps/v1:Deployment") for c in d["spec"]["template"]["spec"]["containers"]
    ]


def test_no_secret_value_appears_in_a_pod_spec(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, outputs = self_hosted
    secrets = [
        outputs["anon"],
        outputs["service"],
        outputs["dashboard"],
        "admin-password",
        "s3-secret-value-123",
        "smtp-password-value-456",
    ]
    pods = json.dumps([d["spec"] for d in recorder.of_kind("apps/v1:Deployment")])
    pods += json.dumps(recorder.of_kind("core/v1:ConfigMap"))
    assert not [s for s in secrets if s in pods]
    # ...while the Secrets do carry them (the check above would otherwise prove nothing).
    secret_data = json.dumps(recorder.of_kind("core/v1:Secret"))
    assert all(s in secret_data for s in secrets)


def test_containers_run_restricted(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, _ = self_hosted
    for deployment in recorder.of_kind("apps/v1:Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
        assert context["runAsNonRoot"] is True and context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert container["readinessProbe"] and container["livenessProbe"]
        assert ":" in container["image"] and not container["image"].endswith(":latest")
    namespace = next(n for n in recorder.of_kind("core/v1:Namespace") if n["metadata"]["name"] == "supabase")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def _policies(recorder: Recorder) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p["spec"] for p in recorder.of_kind("networking.k8s.io/v1:NetworkPolicy")}


def _admits_other_namespaces(rule: dict[str, Any]) -> bool:
    return any("namespaceSelector" in peer or "ipBlock" in peer for peer in rule.get("from", []))


def test_only_the_gateway_is_reachable_from_outside_the_namespace(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    policies = _policies(self_hosted[0])
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    open_outside = sorted(
        name
        for name, spec in policies.items()
        if any(_admits_other_namespaces(rule) for rule in spec.get("ingress", []))
    )
    assert open_outside == ["kong"]
    (traefik,) = [
        peer for rule in policies["kong"]["ingress"] for peer in rule["from"] if "namespaceSelector" in peer
    ]
    assert traefik["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert traefik["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "traefik"}}


def test_service_callers_follow_upstream_wiring(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    policies = _policies(self_hosted[0])

    def callers(service: str) -> set[str]:
        return {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in policies[service]["ingress"]
            for peer in rule["from"]
            if "namespaceSelector" not in peer
        }

    assert callers("meta") == {"kong", "studio"}
    assert callers("imgproxy") == {"storage"}
    assert callers("rest") == {"kong", "storage"}
    db_egress = [
        rule for rule in policies["auth"]["egress"] if rule["to"] == [{"ipBlock": {"cidr": "10.0.1.20/32"}}]
    ]
    assert db_egress and db_egress[0]["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert not any(
        rule["to"] == [{"ipBlock": {"cidr": "10.0.1.20/32"}}] for rule in policies["imgproxy"]["egress"]
    )


def test_gateway_ingress_has_tls_from_the_cluster_issuer(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    (ingress,) = self_hosted[0].of_kind("networking.k8s.io/v1:Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert annotations["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["supabase.example.com"], "secretName": "supabase-gateway-tls"}
    ]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "kong", "port": {"number": 8000}}


def test_bootstrap_job_runs_before_the_services_and_gets_verifiers_only(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    recorder, _ = self_hosted
    (job,) = recorder.of_kind("batch/v1:Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "psql" in container["command"][-1]
    inputs = next(r.inputs for r in recorder.resources if r.name == "supabase-bootstrap-inputs")
    values = inputs["stringData"]
    assert values["PGPASSWORD"] == "admin-password"
    assert all(v.startswith("SCRAM-SHA-256$4096:") for k, v in values.items() if k.endswith("_VERIFIER"))
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PGSSLMODE"] == "verify-full" and env["PGHOST"] == "10.0.1.20"


def test_missing_inputs_for_self_hosted_are_named() -> None:
    with pytest.raises(ValueError, match="lacks db_host, s3_endpoint; pass the PostgresServer"):
        register(self_hosted_args(db_host=None, s3_endpoint=None))


def test_function_files_become_configmap_keys(functions_dir: Path) -> None:
    files = function_files(functions_dir)
    assert {key: path for key, (path, _) in files.items()} == {
        "hello__index.ts": "hello/index.ts",
        "main__index.ts": "main/index.ts",
    }
    with pytest.raises(ValueError, match=r"has no main/index\.ts"):
        function_files(functions_dir / "hello")


def test_dashboard_password_reaches_kong_basic_auth(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, outputs = self_hosted
    kong = next(
        r.inputs for r in recorder.resources if r.name == "supabase-kong" and r.type.endswith("Secret")
    )
    assert f"password: {outputs['dashboard']}" in kong["stringData"]["kong.yml"]


def test_every_object_is_valid_for_the_pinned_kubernetes(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    objects = {
        f"{r.type}::{r.name}": r.inputs for r in self_hosted[0].resources if r.type.startswith("kubernetes:")
    }
    assert len(objects) > 30
    assert schema_errors(objects) == {}
