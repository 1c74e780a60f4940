"""`python -m acceptance`, run for real against what this machine can host: Debian's Prometheus with
recorded series, ApacheBench against a local HTTP server, Debian's PostgreSQL and pgBackRest running
the database server's own scripts, a fake Hetzner API. Every gate has a passing and a failing case."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fake_hcloud import READ_ONLY_TOKEN, FakeHcloud, serve
from tests.postgres.pg_host import PgHost

from .prometheus_server import prometheus

ROOT = Path(__file__).resolve().parents[2]
CRON_RULES = ROOT / "components" / "workloads" / "files" / "cron-jobs.rules.yaml"
AVAILABILITY = 'slo:sli_error:ratio_rate5m{slo="web-availability"}'
LATENCY = 'slo:sli_error:ratio_rate5m{slo="web-latency"}'


def acceptance(
    tmp_path: Path, *args: str, outputs: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    file = tmp_path / "outputs.json"
    file.write_text(json.dumps(outputs or {}))
    return subprocess.run(
        [sys.executable, "-m", "acceptance", "dev", "--outputs", str(file), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **(env or {})},
    )


def verdicts(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Gate -> "pass"/"FAIL", from the text table."""
    found = {}
    for line in result.stdout.splitlines():
        if line.endswith(("  pass", "  FAIL")):
            cells = [c for c in line.split("  ") if c.strip()]
            found[cells[1].strip()] = cells[-1].strip()
    return found


# --- availability and latency from the SLO recording rules ------------------------------------------


@pytest.mark.parametrize(
    ("errors", "slow", "days", "expected"),
    [
        (0.001, 0.02, 15, {"availability (SLO rules)": "pass", "p95 < 400 ms (SLO rules)": "pass"}),
        (0.01, 0.08, 15, {"availability (SLO rules)": "FAIL", "p95 < 400 ms (SLO rules)": "FAIL"}),
        (0.001, 0.02, 3, {"availability (SLO rules)": "FAIL", "p95 < 400 ms (SLO rules)": "FAIL"}),
    ],
    ids=["two-good-weeks", "too-many-errors-and-too-slow", "only-three-days"],
)
def test_slo_gates_read_the_recorded_slis(
    tmp_path: Path, errors: float, slow: float, days: int, expected: dict[str, str]
) -> None:
    with prometheus(tmp_path / "prom", {AVAILABILITY: errors, LATENCY: slow}, days) as url:
        result = acceptance(
            tmp_path,
            "--prometheus",
            url,
            "--gate",
            "availability (SLO rules)",
            "--gate",
            "p95 < 400 ms (SLO rules)",
        )
    assert verdicts(result) == expected, result.stdout + result.stderr
    assert result.returncode == (0 if set(expected.values()) == {"pass"} else 1)
    if errors == 0.01:
        assert "99.000 % over" in result.stdout and "8.00 % slower than 400 ms" in result.stdout


def test_a_gate_without_its_source_fails_and_says_what_it_needs(tmp_path: Path) -> None:
    result = acceptance(tmp_path, "--gate", "availability (SLO rules)")
    assert result.returncode == 1
    assert verdicts(result) == {"availability (SLO rules)": "FAIL"}
    assert "not measured" in result.stdout and "--prometheus URL" in result.stdout


# --- the load run ---------------------------------------------------------------------------------


@pytest.fixture
def app_server() -> Iterator[dict[str, Any]]:
    behaviour: dict[str, Any] = {"status": 200, "delay": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(behaviour["delay"])
            body = b"ok"
            self.send_response(behaviour["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    behaviour["url"] = f"http://127.0.0.1:{server.server_address[1]}/"
    yield behaviour
    server.shutdown()


@pytest.mark.parametrize(
    ("status", "delay", "verdict", "shows"),
    [
        (200, 0.0, "pass", "0 errors of 200"),
        (500, 0.0, "FAIL", "200 errors of 200"),
        (200, 0.5, "FAIL", "0 errors"),
    ],
    ids=["fast", "errors", "slow"],
)
def test_load_run_with_apachebench(
    tmp_path: Path, app_server: dict[str, Any], status: int, delay: float, verdict: str, shows: str
) -> None:
    app_server.update(status=status, delay=delay)
    result = acceptance(
        tmp_path,
        "--gate",
        "load run",
        "--requests",
        "200",
        "--concurrency",
        "20",
        outputs={"appUrls": [app_server["url"]]},
    )
    assert verdicts(result) == {"load run": verdict}, result.stdout + result.stderr
    assert shows in result.stdout
    p95 = int(re.search(r"p95 (\d+) ms", result.stdout).group(1))  # type: ignore[union-attr]
    assert (p95 >= 500) == (delay > 0)  # every request of the slow server takes 500 ms


# --- job failure alerts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "verdict"), [([CRON_RULES], "pass"), ([], "FAIL")], ids=["loaded", "missing"]
)
def test_job_failure_alerts_are_loaded(tmp_path: Path, rules: list[Path], verdict: str) -> None:
    with prometheus(tmp_path / "prom", {}, 0, rule_files=rules) as url:
        result = acceptance(tmp_path, "--prometheus", url, "--gate", "job failure alerts")
    assert verdicts(result) == {"job failure alerts": verdict}, result.stdout + result.stderr


# --- firewalls, read from the Hetzner API ---------------------------------------------------------


def _firewalls(admin_source: str, database_open: bool) -> list[dict[str, Any]]:
    labels = {"platform/project": "platform", "platform/stack": "dev"}
    rules = [
        {"direction": "in", "protocol": "tcp", "port": "22", "source_ips": [admin_source]},
        {"direction": "in", "protocol": "tcp", "port": "6443", "source_ips": ["203.0.113.0/24"]},
        {"direction": "in", "protocol": "icmp", "source_ips": ["0.0.0.0/0", "::/0"]},
    ]
    if database_open:
        rules.append({"direction": "in", "protocol": "tcp", "port": "5432", "source_ips": ["0.0.0.0/0"]})
    others = {"platform/project": "platform", "platform/stack": "prod"}
    return [
        {"id": 1, "name": "network-control-plane", "labels": labels, "rules": rules},
        {
            "id": 2,
            "name": "prod-wide-open",
            "labels": others,
            "rules": [{"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["0.0.0.0/0"]}],
        },
    ]


@pytest.mark.parametrize(
    ("admin_source", "database_open", "expected"),
    [
        (
            "203.0.113.7/32",
            False,
            {"SSH and API only from adminCidrs": "pass", "no public database port": "pass"},
        ),
        ("0.0.0.0/0", True, {"SSH and API only from adminCidrs": "FAIL", "no public database port": "FAIL"}),
    ],
    ids=["as-deployed", "opened-in-the-console"],
)
def test_firewall_rules_read_from_the_api(
    tmp_path: Path, admin_source: str, database_open: bool, expected: dict[str, str]
) -> None:
    fake = FakeHcloud({"firewalls": _firewalls(admin_source, database_open)})
    with serve(fake):
        result = acceptance(
            tmp_path,
            "--gate",
            "firewalls",
            env={"HCLOUD_TOKEN": READ_ONLY_TOKEN, "HCLOUD_ENDPOINT": fake.url},
        )
    assert verdicts(result) == expected, result.stdout + result.stderr
    assert fake.writes() == []
    if admin_source == "0.0.0.0/0":
        assert "network-control-plane: port 22 from 0.0.0.0/0" in result.stdout
        assert "prod-wide-open" not in result.stdout  # another stack's firewall is not this stack's gate


def test_api_must_not_answer_outside_admin_cidrs(tmp_path: Path) -> None:
    """A listener stands for a server whose firewall let this machine in; a closed port, one that did not."""
    import socket

    with socket.socket() as listener, socket.socket() as closed:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        open_port = listener.getsockname()[1]
        open_url = f"https://127.0.0.1:{open_port}"
        closed_url = f"https://127.0.0.1:{closed.getsockname()[1]}"
        gate = ["--gate", "API closed from outside"]
        answered = acceptance(
            tmp_path, *gate, "--outside-admin-cidrs", outputs={"apiEndpoints": [closed_url, open_url]}
        )
        refused = acceptance(tmp_path, *gate, "--outside-admin-cidrs", outputs={"apiEndpoints": [closed_url]})
        inside = acceptance(tmp_path, *gate, outputs={"apiEndpoints": [open_url]})
    assert verdicts(answered) == {"Kubernetes API closed from outside adminCidrs": "FAIL"}
    assert f"answers on 127.0.0.1:{open_port}" in answered.stdout
    assert verdicts(refused) == {"Kubernetes API closed from outside adminCidrs": "pass"}
    assert "only measurable from outside adminCidrs" in inside.stdout and inside.returncode == 1


# --- database: backups and the restore drill, on the server's own scripts ---------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[PgHost]:
    with PgHost.serving() as host:
        yield host


def _db_args(host: PgHost) -> list[str]:
    return ["--db-shell", "bash -c", "--db-scripts", str(host.scripts)]


def test_database_gates_fail_before_the_first_backup_and_pass_after(tmp_path: Path, database: PgHost) -> None:
    before = acceptance(tmp_path, "--gate", "backups fresh", "--gate", "restore drill", *_db_args(database))
    assert before.returncode == 1
    assert verdicts(before) == {
        "last full backup": "FAIL",
        "last backup (full or differential)": "FAIL",
        "newest archived WAL": "FAIL",
        "restore drill": "FAIL",
    }, before.stdout + before.stderr
    assert "no backup set found to restore" in before.stdout

    database.script("backup.sh", "full")
    database.psql("create table drill_rows(id int primary key); insert into drill_rows values (1)", db="app")
    database.wait_archived()
    after = acceptance(tmp_path, "--gate", "backups fresh", "--gate", "restore drill", *_db_args(database))
    assert verdicts(after) == {
        "last full backup": "pass",
        "last backup (full or differential)": "pass",
        "newest archived WAL": "pass",
        "restore drill: time to a verified copy": "pass",
        "restore drill: data lost": "pass",
    }, after.stdout + after.stderr
    assert after.returncode == 0


def test_markdown_report_for_a_pull_request(tmp_path: Path) -> None:
    result = acceptance(tmp_path, "--gate", "availability (SLO rules)", "--format", "markdown")
    assert result.stdout.startswith("### Acceptance of `dev`")
    assert "| 1 | availability (SLO rules) | not measured | measured | ❌ FAIL |" in result.stdout
    assert "0 of 1 gates pass" in result.stdout


# --- phase 3: bucket versioning, read from an S3 API (moto's server) --------------------------------


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moto = Path(sys.executable).with_name("moto_server")
    with (tmp_path / "moto.log").open("wb") as log:
        process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


@pytest.mark.parametrize(
    ("versioned", "verdict"), [(True, "pass"), (False, "FAIL")], ids=["enabled", "forgotten"]
)
def test_bucket_versioning_read_from_the_s3_api(
    tmp_path: Path, s3_server: str, versioned: bool, verdict: str
) -> None:
    import boto3

    keys = {"S3_ACCESS_KEY_ID": "acceptance", "S3_SECRET_ACCESS_KEY": "acceptance-secret"}
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=keys["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["S3_SECRET_ACCESS_KEY"],
    )
    for bucket in ("uploads", "exports"):  # dev's buckets; only uploads asks for versioning
        s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket="uploads", VersioningConfiguration={"Status": "Enabled"})
    result = acceptance(tmp_path, "--gate", "bucket versioning", "--s3-endpoint", s3_server, env=keys)
    assert verdicts(result) == {"bucket uploads versioning": verdict, "bucket exports versioning": "pass"}, (
        result.stdout + result.stderr
    )
