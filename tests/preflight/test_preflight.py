"""scripts/preflight.sh, run for real against a fake Hetzner Cloud API on loopback (tests/fake_hcloud.py):
a clean project passes, and each thing that would stop `pulumi up` halfway is reported with its fix."""

from __future__ import annotations

import datetime
import os
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from preflight.hcloud_api import HcloudApi
from tests.fake_hcloud import READ_ONLY_TOKEN, READ_WRITE_TOKEN, FakeHcloud, serve

ROOT = Path(__file__).resolve().parents[2]
TEAM_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlH2Uv0pIhd7bRj1ZlVQ1R3sVxv2c3gq2t6Ukq0Zr6J ops@example.com"
"""The key in Pulumi.dev.yaml and Pulumi.prod.yaml."""
TEAM_KEY_MD5 = "77:2b:ee:d3:fb:8d:6d:90:72:9c:9a:8d:0f:58:54:e3"
"""`ssh-keygen -l -E md5` of TEAM_KEY (the fingerprint Hetzner shows); see test_fingerprint_is_ssh_keygens."""
EU = ("fsn1", "nbg1", "hel1")


def _server_type(name: str, cores: int, memory: int, price: str, *, arch: str = "x86") -> dict[str, Any]:
    return {
        "id": abs(hash(name)) % 1000,
        "name": name,
        "cores": cores,
        "memory": float(memory),
        "architecture": arch,
        "deprecation": None,
        "locations": [
            {"id": i, "name": loc, "available": True, "recommended": True, "deprecation": None}
            for i, loc in enumerate(EU, start=1)
        ],
        "prices": [
            {
                "location": loc,
                "price_monthly": {"net": price, "gross": price},
                "price_hourly": {"net": "0", "gross": "0"},
            }
            for loc in EU
        ],
    }


def _unavailable(server_type: dict[str, Any]) -> dict[str, Any]:
    for entry in server_type["locations"]:
        entry["available"] = False
    return server_type


def clean_project() -> dict[str, list[dict[str, Any]]]:
    """A project as Hetzner showed it after 2026-09-03: CX listed but not orderable, CPX orderable,
    other people's SSH keys filling more than one page, an unrelated server and placement groups."""
    others = {"platform/project": "shop", "platform/stack": "prod"}
    return {
        "locations": [
            {"id": i, "name": loc, "network_zone": "eu-central"} for i, loc in enumerate(EU, start=1)
        ],
        "server_types": [
            _unavailable(_server_type("cx23", 2, 4, "5.49")),
            _unavailable(_server_type("cx33", 4, 8, "8.49")),
            _server_type("cpx12", 1, 2, "11.49"),
            _server_type("cpx22", 2, 4, "19.49"),
            _server_type("cpx32", 4, 8, "35.49"),
            _server_type("cpx42", 8, 16, "69.49"),
            _server_type("ccx23", 4, 16, "85.99"),
        ],
        "images": [
            {
                "id": 114690387,
                "name": "debian-12",
                "type": "system",
                "architecture": "x86",
                "deprecated": None,
            }
        ],
        "ssh_keys": [
            {"id": n, "name": f"colleague-{n}", "fingerprint": f"00:00:{n:02x}", "labels": {}}
            for n in range(70)
        ],
        "servers": [{"id": 1, "name": "shop-web-1", "labels": others}],
        "placement_groups": [{"id": n, "name": f"shop-{n}", "labels": others} for n in range(3)],
        "load_balancer_types": [
            {"id": 1, "name": "lb11", "deprecated": None, "prices": [{"location": loc} for loc in EU]},
            {"id": 2, "name": "lb21", "deprecated": None, "prices": [{"location": loc} for loc in EU]},
        ],
        **{c: [] for c in ("primary_ips", "load_balancers", "networks", "firewalls", "volumes")},
    }


@dataclass
class S3Endpoint:
    host: str
    ca_file: Path


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """An HTTPS endpoint on loopback that answers like S3 to an anonymous HEAD (403), with a
    certificate the preflight trusts through SSL_CERT_FILE (as a real endpoint's is by the system)."""
    folder = tmp_path_factory.mktemp("s3")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(403)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield S3Endpoint(f"127.0.0.1:{server.server_address[1]}", folder / "cert.pem")
    server.shutdown()


def run_preflight(
    fake: FakeHcloud, stack: str, *sets: str, token: str = READ_WRITE_TOKEN, ca_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    with serve(fake):
        env = {**os.environ, "HCLOUD_TOKEN": token, "HCLOUD_ENDPOINT": fake.url}
        if ca_file:
            env["SSL_CERT_FILE"] = str(ca_file)
        args = [arg for item in sets for arg in ("--set", item)]
        return subprocess.run(
            [str(ROOT / "scripts" / "preflight.sh"), stack, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )


def dev_endpoints(s3: S3Endpoint) -> list[str]:
    return [f"postgres.backup.s3Endpoint={s3.host}"]


def row(result: subprocess.CompletedProcess[str], subject: str) -> str:
    """The summary table's line about `subject` (exactly one)."""
    (line,) = [line for line in result.stdout.splitlines() if f"  {subject}  " in line]
    return line


def test_fingerprint_is_ssh_keygens(tmp_path: Path) -> None:
    from components.network.ssh_keys import md5_fingerprint

    (tmp_path / "key.pub").write_text(TEAM_KEY + "\n")
    shown = subprocess.run(
        ["ssh-keygen", "-l", "-E", "md5", "-f", str(tmp_path / "key.pub")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"MD5:{TEAM_KEY_MD5}" in shown
    assert md5_fingerprint(TEAM_KEY) == TEAM_KEY_MD5


def test_clean_project_passes_and_nothing_is_written(s3_endpoint: S3Endpoint) -> None:
    """A project with the team's key uploaded by hand (on the API's second page) and this stack's own
    servers from an earlier run: nothing blocks, and the key is used rather than uploaded again."""
    project = clean_project()
    project["ssh_keys"].insert(
        60, {"id": 999, "name": "ops laptop", "fingerprint": TEAM_KEY_MD5, "labels": {}}
    )
    fake = FakeHcloud(project, taken={"servers": {"platform/project": "platform", "platform/stack": "dev"}})
    result = run_preflight(fake, "dev", *dev_endpoints(s3_endpoint), ca_file=s3_endpoint.ca_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing blocks `pulumi up`" in result.stdout
    assert "BLOCKER" not in result.stdout
    for subject in ("HCLOUD_TOKEN", "cpx22", "cpx32", "debian-12", s3_endpoint.host):
        assert "  ok  " in row(result, subject)
    assert "already uploaded as 'ops laptop'; the stack uses it" in row(result, "ops@example.com")
    assert "[10/10] S3 endpoints answer" in result.stderr  # a progress line per step
    # Read-only: the one write is the empty SSH key that learns the token's permission.
    assert fake.writes() == [("POST", "/v1/ssh_keys")]


def test_every_blocker_of_a_dev_project_with_its_fix(s3_endpoint: S3Endpoint) -> None:
    """One project that has each thing that would stop `pulumi up` of dev halfway; each is reported."""
    project = clean_project()
    for server_type in project["server_types"]:
        if server_type["name"] == "cpx32":
            _unavailable(server_type)
        if server_type["name"] == "cpx22":
            server_type["locations"][1]["deprecation"] = {
                "announced": "2026-10-01T00:00:00Z",
                "unavailable_after": "2026-12-31T00:00:00Z",
            }
    project["images"] = []
    others = {"platform/project": "shop", "platform/stack": "prod"}
    project["placement_groups"] = [{"id": n, "name": f"shop-{n}", "labels": others} for n in range(49)]
    fake = FakeHcloud(project, taken={"servers": {"platform/project": "platform", "platform/stack": "prod"}})
    result = run_preflight(fake, "dev", "postgres.backup.s3Endpoint=127.0.0.1:9")
    assert result.returncode == 1
    blockers = [line for line in result.stdout.splitlines() if "BLOCKER" in line]

    cpx32 = row(result, "cpx32")
    assert "BLOCKER" in cpx32 and "not available for new orders in nbg1" in cpx32
    assert "cluster.agentPools[0], postgres" in cpx32
    # Of cpx42 (69.49) and ccx23 (85.99), both >= 4 vCPU and 8 GB, the cheaper.
    assert "use cpx42 (8 vCPU, 16 GB, 69.49 EUR/month net)" in cpx32
    assert "deprecated" in row(result, "cpx22") and "unavailable after 2026-12-31" in row(result, "cpx22")
    assert "no such system image" in row(result, "debian-12") and "SERVER_IMAGE" in row(result, "debian-12")
    names = [line for line in blockers if line.startswith("names ")]
    assert names and all("stack 'prod''s" in line for line in names)
    assert "over Hetzner's 50 per project" in row(result, "placement groups")
    assert "database backups (postgres.backup): no answer over HTTPS" in row(result, "127.0.0.1:9")
    assert len(blockers) == 5 + len(names)
    assert f"{len(blockers)} blocker(s)" in result.stdout


def test_names_taken_by_hand_are_blockers(s3_endpoint: S3Endpoint) -> None:
    fake = FakeHcloud(clean_project(), taken={"servers": {}})
    result = run_preflight(fake, "dev", *dev_endpoints(s3_endpoint), ca_file=s3_endpoint.ca_file)
    assert result.returncode == 1
    assert "not labelled as any stack's" in result.stdout and "its own Hetzner project" in result.stdout


def test_prod_needs_its_load_balancer_type_and_three_endpoints(s3_endpoint: S3Endpoint) -> None:
    project = clean_project()
    project["load_balancer_types"] = [t for t in project["load_balancer_types"] if t["name"] != "lb11"]
    sets = [
        f"postgres.backup.s3Endpoint={s3_endpoint.host}",
        f"cluster.etcdBackup.s3Endpoint={s3_endpoint.host}",
    ]
    result = run_preflight(FakeHcloud(project), "prod", *sets, ca_file=s3_endpoint.ca_file)
    assert result.returncode == 1
    assert "the API does not know this type" in row(result, "lb11") and "use one of lb21" in row(
        result, "lb11"
    )
    answering = [line for line in result.stdout.splitlines() if s3_endpoint.host in line and "  ok  " in line]
    assert len(answering) == 2
    # Hetzner Object Storage's own endpoint is not on loopback: it cannot answer here.
    storage = [line for line in result.stdout.splitlines() if "your-objectstorage.com" in line]
    assert len(storage) == 1 and "BLOCKER" in storage[0] and "object store (objectStore)" in storage[0]


def test_unknown_token_stops_before_anything_else() -> None:
    fake = FakeHcloud(clean_project())
    result = run_preflight(fake, "dev", token="wrong")
    assert result.returncode == 1
    assert "401" in row(result, "HCLOUD_TOKEN") and "fix: create an API token" in result.stdout
    assert len(fake.requests) == 1
    assert "[2/10]" not in result.stderr  # the program did not even run


def test_read_only_token_is_a_blocker() -> None:
    result = run_preflight(FakeHcloud(clean_project()), "dev", token=READ_ONLY_TOKEN)
    assert result.returncode == 1
    assert "read-only" in row(result, "HCLOUD_TOKEN") and "Read & Write" in result.stdout


def test_a_spread_group_over_ten_servers_is_a_blocker() -> None:
    """The program splits pools into groups of ten (tests/day2); the check guards that rule."""
    from preflight.checks import check_placement
    from preflight.plan import StackPlan

    plan = StackPlan("platform", "dev", "nbg1", {}, (), (), (), (), (11, 3), 2, ())
    (finding,) = check_placement(HcloudApi("http://127.0.0.1:9", "unused"), plan)
    assert finding.blocker and "11 servers in one group" in finding.detail


def test_bad_input_exits_2_and_names_the_fix() -> None:
    no_token = subprocess.run(
        [str(ROOT / "scripts" / "preflight.sh"), "dev"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "HCLOUD_TOKEN"},
        check=False,
    )
    assert no_token.returncode == 2 and "set HCLOUD_TOKEN" in no_token.stderr
    unknown = run_preflight(FakeHcloud(clean_project()), "staging")
    assert unknown.returncode == 2 and "no stack file Pulumi.staging.yaml" in unknown.stderr
