"""Phase 1 components under the offline mocks: what reaches the cluster for the dev and prod stacks."""

from __future__ import annotations

import pytest
import yaml

from offline.program import ProgramError, run_program
from offline.wire import is_secret, mask
from tests.pilot_runs import stack_run

PHASE1 = {"ingress", "observability", "app"}


def _objects(stack: str, kind: str) -> dict[str, dict]:
    return {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in stack_run(stack).resources
        if r.type.startswith("kubernetes:") and r.plain_inputs.get("kind") == kind
    }


def _traefik_values(stack: str) -> dict:
    return yaml.safe_load(_objects(stack, "HelmChartConfig")["traefik"]["spec"]["valuesContent"])


# --- Ingress -------------------------------------------------------------------------------------


def test_traefik_redirects_http_and_trusts_proxy_protocol_only_from_the_private_network() -> None:
    values = _traefik_values("prod")
    web = values["ports"]["web"]
    assert web["http"]["redirections"]["entryPoint"] == {
        "to": "websecure",
        "scheme": "https",
        "permanent": True,
        "priority": 1,
    }
    for port in ("web", "websecure"):
        assert values["ports"][port]["proxyProtocol"]["trustedIPs"] == ["10.0.0.0/16"]
    assert values["ports"]["websecure"]["http"]["middlewares"] == [
        "kube-system-security-headers@kubernetescrd"
    ]


def test_traefik_service_becomes_a_private_target_hetzner_lb_in_the_stack_location() -> None:
    annotations = _traefik_values("prod")["service"]["annotations"]
    assert annotations["load-balancer.hetzner.cloud/location"] == "nbg1"
    assert annotations["load-balancer.hetzner.cloud/use-private-ip"] == "true"
    assert annotations["load-balancer.hetzner.cloud/uses-proxyprotocol"] == "true"
    assert annotations["load-balancer.hetzner.cloud/disable-private-ingress"] == "true"
    assert annotations["load-balancer.hetzner.cloud/name"] == "platform-prod-ingress"


def test_traefik_logs_json_and_has_a_0_4_second_bucket() -> None:
    values = _traefik_values("dev")
    assert values["logs"]["access"]["format"] == "json"
    assert values["logs"]["general"]["format"] == "json"
    assert "0.4" in values["metrics"]["prometheus"]["buckets"].split(",")


def test_tls_needs_1_2_and_every_response_gets_hsts() -> None:
    assert _objects("prod", "TLSOption")["default"]["spec"]["minVersion"] == "VersionTLS12"
    headers = _objects("prod", "Middleware")["security-headers"]["spec"]["headers"]
    assert headers["stsSeconds"] == 31_536_000
    assert headers["contentTypeNosniff"] and headers["frameDeny"]


def test_both_issuers_exist_and_each_stack_uses_its_own() -> None:
    issuers = _objects("prod", "ClusterIssuer")
    assert (
        issuers["letsencrypt-prod"]["spec"]["acme"]["server"]
        == "https://acme-v02.api.letsencrypt.org/directory"
    )
    assert "staging" in issuers["letsencrypt-staging"]["spec"]["acme"]["server"]
    assert issuers["letsencrypt-prod"]["spec"]["acme"]["email"] == "ops@example.com"
    solver = issuers["letsencrypt-prod"]["spec"]["acme"]["solvers"][0]
    assert solver == {"http01": {"ingress": {"ingressClassName": "traefik"}}}
    prod_ingress = _objects("prod", "Ingress")["web"]["metadata"]["annotations"]
    assert prod_ingress["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    dev_certificate = _objects("dev", "Certificate")["web"]["spec"]["issuerRef"]
    assert dev_certificate["name"] == "letsencrypt-staging"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_route_is_https_only_with_tls(stack: str) -> None:
    for name, ingress in _objects(stack, "Ingress").items():
        assert (
            ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.entrypoints"]
            == "websecure"
        )
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}, name
    for route in _objects(stack, "IngressRoute").values():
        assert route["spec"]["entryPoints"] == ["websecure"] and route["spec"]["tls"]["secretName"]


# --- App -----------------------------------------------------------------------------------------


def test_web_deployment_is_pinned_probed_bounded_and_restricted() -> None:
    web = _objects("prod", "Deployment")["web"]
    pod = web["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/example/web:1.4.2"
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(container)
    assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"]
    assert context["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_web_env_comes_from_secrets_only() -> None:
    run = stack_run("prod")
    env_secret = run.by_name("app-web-env")
    assert is_secret(env_secret.inputs["stringData"])
    assert set(env_secret.plain_inputs["stringData"]) >= {"SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"}
    container = _objects("prod", "Deployment")["web"]["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "web-env"}}]
    database = next(e for e in container["env"] if e["name"] == "DATABASE_URL")
    assert database["valueFrom"]["secretKeyRef"] == {"name": "postgres-connection", "key": "uri"}
    assert all("value" not in e or "SUPABASE" not in e["name"] for e in container["env"])


def test_autoscaler_and_disruption_budget_follow_config() -> None:
    hpa = _objects("prod", "HorizontalPodAutoscaler")["web"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert _objects("prod", "PodDisruptionBudget")["web"]["spec"]["maxUnavailable"] == 1


def test_canary_gets_its_configured_share_through_weighted_routing() -> None:
    split = _objects("dev", "TraefikService")["web-split"]["spec"]["weighted"]["services"]
    assert {s["name"]: s["weight"] for s in split} == {"web": 90, "web-canary": 10}
    route = _objects("dev", "IngressRoute")["web"]["spec"]["routes"][0]
    assert route["services"] == [{"kind": "TraefikService", "name": "web-split", "namespace": "app"}]
    assert route["match"] == "Host(`app.dev.example.com`)"
    canary = _objects("dev", "Deployment")["web-canary"]
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/example/web:1.5.0-rc.1"
    assert "Ingress" not in {
        r.plain_inputs.get("kind") for r in stack_run("dev").resources if "app-" in r.name
    }


# --- Namespaces and policies ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_namespace_has_a_pod_security_level_and_default_deny(stack: str) -> None:
    namespaces = _objects(stack, "Namespace")
    policies = [p for p in stack_run(stack).resources if p.type.endswith("NetworkPolicy")]
    ours = {n: ns for n, ns in namespaces.items() if ns["metadata"]["labels"]["platform/component"] in PHASE1}
    assert set(ours) == {"cert-manager", "monitoring", "monitoring-node", "app"}
    for name, namespace in ours.items():
        labels = namespace["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] in {"restricted", "privileged"}
        if labels["pod-security.kubernetes.io/enforce"] == "privileged":
            assert name == "monitoring-node"  # node-exporter only: host network, PID and /proc
        deny = [
            p.plain_inputs
            for p in policies
            if p.plain_inputs["metadata"]["namespace"] == name
            and p.plain_inputs["metadata"]["name"] == "default-deny"
        ]
        assert deny and deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, name


def test_only_traefik_and_prometheus_may_reach_the_web_pods() -> None:
    policies = {
        p.plain_inputs["metadata"]["name"]: p.plain_inputs["spec"]
        for p in stack_run("prod").resources
        if p.type.endswith("NetworkPolicy") and p.plain_inputs["metadata"]["namespace"] == "app"
    }
    ingress_rules = {name: spec for name, spec in policies.items() if "Ingress" in spec["policyTypes"]}
    assert set(ingress_rules) == {"default-deny", "allow-web-from-traefik", "allow-prometheus-scrape"}
    sources = ingress_rules["allow-web-from-traefik"]["ingress"][0]["from"][0]
    assert sources["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    assert sources["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "traefik"}
    egress = policies["allow-egress-except-metadata"]["egress"][0]["to"][0]["ipBlock"]
    assert egress == {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}


# --- Observability -------------------------------------------------------------------------------


def test_every_rule_file_becomes_a_prometheus_rule() -> None:
    rules = _objects("prod", "PrometheusRule")
    assert set(rules) == {"slo", "platform", "k3s-day2", "postgres-backup", "cron-jobs", "cron-job-windows"}
    alerts = {r["alert"] for g in rules["slo"]["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert alerts == {
        "WebAvailabilityErrorBudgetBurnPage",
        "WebAvailabilityErrorBudgetBurnTicket",
        "WebLatencyErrorBudgetBurnPage",
        "WebLatencyErrorBudgetBurnTicket",
    }


def test_stack_is_fitted_to_k3s_and_small_nodes() -> None:
    values = stack_run("prod").by_name("observability-kube-prometheus-stack").plain_inputs["values"]
    for part in ("kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"):
        assert values[part] == {"enabled": False}
    assert values["alertmanager"]["alertmanagerSpec"]["image"]["tag"] == "v0.25.0"
    assert values["prometheus"]["prometheusSpec"]["retentionSize"] == "18GB"
    assert values["defaultRules"]["disabled"]["KubePodCrashLooping"] is True


def test_grafana_is_served_over_tls_with_a_generated_password() -> None:
    run = stack_run("prod")
    grafana = run.by_name("observability-kube-prometheus-stack").plain_inputs["values"]["grafana"]
    assert grafana["ingress"]["tls"] == [{"secretName": "grafana-tls", "hosts": ["grafana.example.com"]}]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    secret = run.by_name("observability-grafana-admin")
    password = secret.plain_inputs["stringData"]["admin-password"]
    assert len(password) == 32 and is_secret(secret.inputs["stringData"])
    assert password not in str(mask(run.outputs))


def test_database_vm_exporter_is_scraped_as_a_node() -> None:
    scrape = _objects("prod", "ScrapeConfig")["database"]["spec"]["staticConfigs"][0]
    assert scrape["labels"] == {"job": "node-exporter", "role": "database"}
    assert scrape["targets"][0].endswith(":9100")


# --- Bad configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"observability": {"alertReceivers": []}}, "observability.alertReceivers"),
        (
            {"app": {"hostnames": ["example.com"], "web": {"image": "ghcr.io/example/web:latest"}}},
            "is not pinned",
        ),
        (
            {
                "app": {
                    "hostnames": ["example.com"],
                    "web": {"image": "ghcr.io/x/web:1", "canary": {"image": "ghcr.io/x/web:2", "weight": 80}},
                }
            },
            "app.web.canary.weight",
        ),
        ({"observability": {"alertReceivers": ["discord"], "deadMansSwitch": True}}, "deadMansSwitch"),
        (
            {"observability": {"alertReceivers": ["discord"], "grafanaHostname": "example.com"}},
            "grafanaHostname",
        ),
    ],
)
def test_bad_phase1_settings_fail_with_the_key_named(overrides: dict, message: str) -> None:
    with pytest.raises(ProgramError, match=message):
        run_program("prod", overrides=overrides)
