"""The Supabase component under the offline mocks: what each mode registers, and how it is locked down."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jwt
import pulumi
import pytest
import yaml

from components.config.supabase import FunctionsConfig, SupabaseConfig
from components.supabase import Supabase, SupabaseArgs, SupabaseDatabase, SupabaseStorage
from components.supabase.bootstrap import INPUTS_DIGEST_ANNOTATION, inputs_digest
from components.supabase.component import function_files
from components.supabase.credentials import VERIFIER_VARIABLES
from components.supabase.keys import ISSUER
from offline.mocks import PlatformMocks
from offline.wire import is_secret, reveal
from tests.k8s_schema import schema_errors
from tests.supabase.settings import FULL_CONFIG, OBJECTS

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
        database=SupabaseDatabase(
            host="10.0.1.20",
            name="app",
            admin_user="postgres",
            admin_password="admin-password",
            ca_cert=CA_PEM,
        ),
        storage=SupabaseStorage(OBJECTS, access_key_id="s3-key", secret_access_key="s3-secret-value-123"),
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
    with pytest.raises(ValueError, match=r"lacks database, storage; build it with SupabaseArgs\.from_config"):
        register(self_hosted_args(database=None, storage=None))


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


# Contracts of the services that cannot run here (Kong, Realtime, PostgREST, Studio, functions) --


def _deployment(recorder: Recorder, name: str) -> dict[str, Any]:
    return next(d for d in recorder.of_kind("apps/v1:Deployment") if d["metadata"]["name"] == name)


def _container(recorder: Recorder, name: str) -> dict[str, Any]:
    (container,) = _deployment(recorder, name)["spec"]["template"]["spec"]["containers"]
    return container


def _plain_env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def _scratch_paths(recorder: Recorder, name: str) -> set[str]:
    pod = _deployment(recorder, name)["spec"]["template"]["spec"]
    scratch = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    (container,) = pod["containers"]
    return {m["mountPath"] for m in container["volumeMounts"] if m["name"] in scratch}


def test_mount_paths_are_unique_in_every_container(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    """The API server refuses a Deployment with two mounts at one path (validateVolumeMounts)."""
    for deployment in self_hosted[0].of_kind("apps/v1:Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        names = [v["name"] for v in pod["volumes"]]
        assert len(names) == len(set(names)), deployment["metadata"]["name"]
        for container in pod["containers"]:
            paths = [m["mountPath"] for m in container["volumeMounts"]]
            assert len(paths) == len(set(paths)), f"{deployment['metadata']['name']}: {sorted(paths)}"


KONG_LIBRARIES = "/usr/local/kong/lib"
"""Where the Kong image keeps the OpenSSL 3 and other libraries its nginx loads (RUNPATH), per
Kong/kong scripts/explain_manifest/fixtures/debian-12-amd64.txt: `/usr/local/kong/lib/libssl.so.3`."""


def test_kong_works_in_a_scratch_prefix_without_hiding_its_libraries(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    recorder, _ = self_hosted
    container = _container(recorder, "kong")
    for mount in container["volumeMounts"]:
        path = mount["mountPath"].rstrip("/")
        assert not KONG_LIBRARIES.startswith(path + "/"), f"{path} hides {KONG_LIBRARIES}"
    assert _plain_env(container)["KONG_PREFIX"] in _scratch_paths(recorder, "kong")


REALTIME_RUN_SH_STEPS = ("/app/bin/migrate", "/app/bin/realtime eval 'Realtime.Release.seeds(Realtime.Repo)'")
"""The steps of the Realtime image's entrypoint (supabase/realtime run.sh at 833cf36), which runs
each under `sudo -E -u nobody` and then execs the server."""


def test_realtime_starts_without_sudo_as_its_non_root_user(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    """allowPrivilegeEscalation: false sets no_new_privs, so the image's sudo-based run.sh fails."""
    container = _container(self_hosted[0], "realtime")
    assert container["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    command = container["command"]
    assert command and "/app/run.sh" not in command
    script = command[-1]
    assert "sudo" not in script
    positions = [script.index(step) for step in REALTIME_RUN_SH_STEPS]
    assert positions == sorted(positions)
    assert script.rstrip().endswith("exec /app/bin/server")


def test_realtime_tenant_connects_over_tls(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    """The seed writes the tenant with ssl_enforced false (priv/repo/seeds.exs); the database accepts
    only TLS, so the start command sets it true after seeding and before the server starts."""
    container = _container(self_hosted[0], "realtime")
    script = container["command"][-1]
    seeded = script.index("Realtime.Release.seeds")
    fixed = script.index('["ssl_enforced", "postgres_cdc_rls"]')
    assert seeded < fixed < script.index("exec /app/bin/server")
    assert "jsonb_set(settings, ARRAY[$1], to_jsonb(true)) WHERE type = $2" in script


def test_every_database_client_verifies_the_server(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, _ = self_hosted
    (env_secret,) = [r for r in recorder.resources if r.name == "supabase-env"]
    urls = {k: v for k, v in env_secret.inputs["stringData"].items() if k.endswith("database-url")}
    assert sorted(urls) == [
        "auth-database-url",
        "functions-database-url",
        "rest-database-url",
        "storage-database-url",
    ]
    for key, url in urls.items():
        assert url.endswith("?sslmode=verify-full&sslrootcert=/etc/supabase/db-ca/ca.crt"), key
    realtime = _plain_env(_container(recorder, "realtime"))
    assert realtime["DB_SSL"] == "true"
    mounted = {m["mountPath"] for m in _container(recorder, "realtime")["volumeMounts"]}
    assert realtime["DB_SSL_CA_CERT"].rsplit("/", 1)[0] in mounted
    meta = _container(recorder, "meta")
    assert _plain_env(meta)["PG_META_DB_SSL_MODE"] == "verify-full"
    (root_cert,) = [e for e in meta["env"] if e["name"] == "PG_META_DB_SSL_ROOT_CERT"]
    assert root_cert["valueFrom"] == {"configMapKeyRef": {"name": "supabase-db-ca", "key": "ca.crt"}}
    (ca,) = [
        c for c in recorder.of_kind("core/v1:ConfigMap") if c["metadata"].get("name") == "supabase-db-ca"
    ]
    assert ca["data"] == {"ca.crt": CA_PEM}


def test_no_service_connects_as_the_superuser(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    """Only the bootstrap Job logs in as the admin user; Studio, meta and functions use the demoted role."""
    recorder, _ = self_hosted
    (env_secret,) = [r for r in recorder.resources if r.name == "supabase-env"]
    values = env_secret.inputs["stringData"]
    assert "admin-password" not in values.values()
    studio = _plain_env(_container(recorder, "studio"))
    meta = _plain_env(_container(recorder, "meta"))
    functions_user = values["functions-database-url"].split("://", 1)[1].split(":", 1)[0]
    assert (
        studio["POSTGRES_USER_READ_WRITE"] == meta["PG_META_DB_USER"] == functions_user == "supabase_postgres"
    )


def test_studio_is_routed_only_for_requests_through_the_ingress(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    """Kong trusts X-Forwarded-For from the whole pod network, and Studio and the functions call
    Kong from inside it: a spoofed allowed address must not open Studio, so Studio's route needs the
    header only the Ingress adds."""
    recorder, _ = self_hosted
    kong = yaml.safe_load(
        next(r.inputs for r in recorder.resources if r.name == "supabase-kong" and r.type.endswith("Secret"))[
            "stringData"
        ]["kong.yml"]
    )
    (dashboard,) = [s for s in kong["services"] if s["name"] == "dashboard"]
    (route,) = dashboard["routes"]
    ((header, (token,)),) = route["headers"].items()
    assert len(token) >= 32
    (middleware,) = [r for r in recorder.resources if r.type == "kubernetes:traefik.io/v1alpha1:Middleware"]
    assert middleware.inputs["spec"] == {"headers": {"customRequestHeaders": {header: token}}}
    (ingress,) = recorder.of_kind("networking.k8s.io/v1:Ingress")
    assert ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] == (
        "supabase-studio-gate@kubernetescrd"
    )
    (strip,) = [p for p in kong["plugins"] if p["name"] == "pre-function"]
    assert strip["config"]["access"] == [f'kong.service.request.clear_header("{header}")']
    pods = json.dumps([d["spec"] for d in recorder.of_kind("apps/v1:Deployment")])
    env_secret = json.dumps(next(r.inputs for r in recorder.resources if r.name == "supabase-env"))
    assert token not in pods and token not in env_secret
    kong_plugins = _plain_env(_container(recorder, "kong"))["KONG_PLUGINS"].split(",")
    assert "pre-function" in kong_plugins


def test_bootstrap_reruns_when_a_password_changes(self_hosted: tuple[Recorder, dict[str, Any]]) -> None:
    recorder, _ = self_hosted
    (job,) = recorder.of_kind("batch/v1:Job")
    annotations = job["spec"]["template"]["metadata"]["annotations"]
    inputs = next(r.inputs for r in recorder.resources if r.name == "supabase-bootstrap-inputs")["stringData"]
    verifiers = [inputs[f"{variable.upper()}"] for variable in VERIFIER_VARIABLES.values()]
    assert annotations[INPUTS_DIGEST_ANNOTATION] == hashlib.sha256("\n".join(verifiers).encode()).hexdigest()
    rotated = [*verifiers[:-1], verifiers[-1] + "x"]
    assert inputs_digest(rotated) != annotations[INPUTS_DIGEST_ANNOTATION]


def test_the_api_exposes_the_schemas_managed_projects_expose(
    self_hosted: tuple[Recorder, dict[str, Any]],
) -> None:
    """Managed projects serve `public` and `graphql_public` by default (API settings, Exposed schemas)."""
    recorder, _ = self_hosted
    assert _plain_env(_container(recorder, "rest"))["PGRST_DB_SCHEMAS"] == "public,graphql_public"
    assert _plain_env(_container(recorder, "studio"))["PGRST_DB_SCHEMAS"] == "public,graphql_public"
