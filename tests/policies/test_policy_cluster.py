"""k3s server hardening (parsed from the rendered cloud-init) and where the API may be reached from."""

from __future__ import annotations

import base64
import gzip
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from .policy_fixtures import K3S_CONFIG, changed, control_plane, k3s_user_data, load_balancer, server
from .policy_wire import UNKNOWN_STRING, Case, Pack, check_case, fired, secret

HARDENING = "k3s-server-hardening"
no_encryption = {**K3S_CONFIG, "secrets-encryption": False}
no_audit = {**K3S_CONFIG, "kube-apiserver-arg": ["admission-control-config-file=/etc/rancher/k3s/psa.yaml"]}
no_psa = {
    **K3S_CONFIG,
    "kube-apiserver-arg": ["audit-log-path=/var/log/a.log", "audit-policy-file=/etc/a.yaml"],
}

ETCD_OFFSITE = "k3s-prod-etcd-offsite"
local_snapshots_only = {k: v for k, v in K3S_CONFIG.items() if not k.startswith("etcd-s3")}

CASES = [
    Case(
        HARDENING,
        [changed(control_plane(), "userData", k3s_user_data(no_encryption))],
        [control_plane()],
        "missing: secrets encryption",
    ),
    Case(
        HARDENING,
        [changed(control_plane(), "userData", k3s_user_data(no_audit))],
        [control_plane()],
        "the audit log",
    ),
    Case(
        HARDENING,
        [changed(control_plane(), "userData", k3s_user_data(no_psa))],
        [control_plane()],
        "Pod Security admission defaults",
    ),
    Case(
        HARDENING,
        [changed(control_plane(), "userData", k3s_user_data(psa="kind: AdmissionConfiguration\n"))],
        [control_plane()],
        "a PodSecurity plugin with an `enforce` default",
    ),
    Case(
        HARDENING,
        [changed(control_plane(), "userData", k3s_user_data(block=False))],
        [control_plane()],
        "drops pod traffic to the metadata endpoint 169.254.169.254",
    ),
    Case(
        HARDENING,
        [changed(control_plane(), "userData", "#cloud-config\npackages: [curl]\n")],
        [control_plane()],
        "a k3s config file at /etc/rancher/k3s/config.yaml",
    ),
    Case(
        "k3s-api-not-on-public-lb",
        load_balancer("api", public=True, ports=[6443]),
        load_balancer("api", public=False, ports=[6443, 9345]),
        "forwards port 6443",
    ),
]


CASES += [
    Case(
        ETCD_OFFSITE,
        [changed(control_plane(), "userData", k3s_user_data(local_snapshots_only))],
        [control_plane()],
        "keeps etcd snapshots only on its own disk in prod (`etcd-s3: true` is not set)",
    ),
    Case(
        ETCD_OFFSITE,
        [changed(control_plane(), "userData", k3s_user_data({**local_snapshots_only, "etcd-s3": True}))],
        [
            changed(
                control_plane(),
                "userData",
                k3s_user_data({**local_snapshots_only, "etcd-s3": True, "etcd-s3-bucket": "acme-etcd"}),
            )
        ],
        "names no bucket",
    ),
]


def test_etcd_offsite_gate_has_a_named_exemption_and_stays_out_of_dev() -> None:
    local_only = changed(control_plane(), "userData", k3s_user_data(local_snapshots_only))
    assert fired(Pack().analyze(local_only), ETCD_OFFSITE)
    exempt = {ETCD_OFFSITE: {"backedUpOtherwise": "nightly Velero backup of etcd to the ops bucket"}}
    assert fired(Pack(exempt).analyze(local_only), ETCD_OFFSITE) == []
    assert fired(Pack({ETCD_OFFSITE: {"environment": "dev"}}).analyze(local_only), ETCD_OFFSITE) == []
    agent = server("agent-1", "agent", user_data=k3s_user_data(local_snapshots_only))
    assert fired(Pack().analyze(agent), ETCD_OFFSITE) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_policy_fires_on_violation_and_is_quiet_on_compliance(case: Case) -> None:
    check_case(case)


def test_user_data_sent_as_a_secret_is_still_parsed_and_no_secret_is_echoed() -> None:
    bad = changed(control_plane(), "userData", secret(k3s_user_data(no_encryption)))
    (diagnostic,) = fired(Pack().analyze(bad), HARDENING)
    assert "secrets encryption" in diagnostic.message
    assert "s3cr3t-join-token" not in diagnostic.message
    assert fired(Pack().analyze(changed(bad, "userData", secret(k3s_user_data()))), HARDENING) == []


def test_base64_config_and_multipart_user_data_are_read_like_cloud_init_reads_them() -> None:
    encoded = changed(control_plane(), "userData", k3s_user_data(no_encryption, encode=True))
    assert fired(Pack().analyze(encoded), HARDENING)
    multipart = MIMEMultipart()
    multipart.attach(MIMEText(k3s_user_data(), "cloud-config"))
    multipart.attach(MIMEText("#!/bin/sh\necho ready\n", "x-shellscript"))
    assert fired(Pack().analyze(changed(control_plane(), "userData", multipart.as_string())), HARDENING) == []
    gz = base64.b64encode(gzip.compress(b"secrets-encryption: true\n")).decode()
    dropin = k3s_user_data(no_encryption).replace(
        "write_files:\n",
        f"write_files:\n- path: /etc/rancher/k3s/config.yaml.d/90-encryption.yaml\n  encoding: gz+b64\n"
        f"  content: {gz}\n",
        1,
    )
    assert "secrets encryption" not in str(
        fired(Pack().analyze(changed(control_plane(), "userData", dropin)), HARDENING)
    )


def test_metadata_block_in_a_script_with_the_address_in_a_variable_counts() -> None:
    script = (
        "#!/bin/sh\nMETADATA_IP=169.254.169.254/32\n"
        'iptables -t raw -I PREROUTING 1 -d "$METADATA_IP" -j DROP\n'
    )
    user_data = k3s_user_data(block=False).replace(
        "write_files:\n",
        "write_files:\n- path: /usr/local/sbin/block-metadata\n  content: |\n"
        + "".join(f"    {line}\n" for line in script.splitlines()),
        1,
    )
    assert fired(Pack().analyze(changed(control_plane(), "userData", user_data)), HARDENING) == []
    allowed = user_data.replace("-j DROP", "-j ACCEPT")
    assert fired(Pack().analyze(changed(control_plane(), "userData", allowed)), HARDENING)


def test_broken_user_data_is_a_violation_that_says_why() -> None:
    broken = changed(control_plane(), "userData", "#cloud-config\nwrite_files: [\n")
    (diagnostic,) = fired(Pack().analyze(broken), HARDENING)
    assert "cannot be read as cloud-init would" in diagnostic.message


def test_unknown_user_data_in_preview_is_advisory_cannot_run() -> None:
    (diagnostic,) = fired(Pack().analyze(changed(control_plane(), "userData", UNKNOWN_STRING)), HARDENING)
    assert diagnostic.level == "advisory"
    assert "can't run policy 'k3s-server-hardening'" in diagnostic.message


def test_agents_are_not_api_servers() -> None:
    assert fired(Pack().analyze(server("agent-1", "agent", user_data="#cloud-config\n")), HARDENING) == []
