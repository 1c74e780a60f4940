"""What the database VM receives: scripts pass shellcheck, the user-data carries the files
unchanged and no clear password, timers parse, and the alert rules pass promtool's own tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from components.postgres.render import FILES, SCRIPTS
from offline.program import ProgramRun

from ..cloud_init_files import written_files

SCRIPTS_DIR = "/usr/local/lib/platform-postgres"
RULES = FILES / "postgres-backup.rules.yaml"
RULE_TESTS = FILES / "postgres-backup.rules.test.yaml"


def _database_files(run: ProgramRun) -> dict[str, dict]:
    (server,) = [s for s in run.of_type("hcloud:index/server:Server") if s.name == "postgres-server"]
    return written_files(server.plain_inputs["userData"])


def test_every_database_script_passes_shellcheck() -> None:
    scripts = sorted(FILES.glob("*.sh"))
    assert {p.name for p in scripts} == set(SCRIPTS)
    result = subprocess.run(
        ["shellcheck", "-x", *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_user_data_ships_the_scripts_unchanged_and_secrets_root_only(dev_run: ProgramRun) -> None:
    files = _database_files(dev_run)
    for script in SCRIPTS:
        entry = files[f"{SCRIPTS_DIR}/{script}"]
        assert entry["content"] == (FILES / script).read_text()
        assert entry["permissions"] == "0755"
    for secret in ("server.key", "pgbackrest-secrets.conf", "roles.env"):
        assert files[f"/etc/platform-postgres/{secret}"]["permissions"] == "0600"


def test_env_file_gives_the_scripts_their_parameters(dev_run: ProgramRun, tmp_path: Path) -> None:
    env = tmp_path / "postgres.env"
    env.write_text(_database_files(dev_run)[f"{SCRIPTS_DIR}/postgres.env"]["content"])
    shown = subprocess.run(
        ["bash", "-c", f'set -u; . "{env}"; echo "$PGDATA|$PG_PORT|$VOLUME_DEVICE|$DRILL_PORT"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    data, port, device, drill_port = shown.split("|")
    assert data == "/var/lib/postgresql/17/main"
    assert port == "5432" and drill_port == "5499"
    assert device.startswith("/dev/disk/by-id/scsi-0HC_Volume_")


def test_user_data_holds_scram_verifiers_not_passwords(dev_run: ProgramRun) -> None:
    files = _database_files(dev_run)
    roles = files["/etc/platform-postgres/roles.env"]["content"]
    assert roles.count("SCRAM-SHA-256$4096:") == 2
    passwords = [
        r.outputs["result"]
        for r in dev_run.of_type("random:index/randomPassword:RandomPassword")
        if r.name in ("postgres-app-password", "postgres-admin-password")
    ]
    assert len(passwords) == 2
    everything = "".join(entry["content"] for entry in files.values())
    assert not [p for p in passwords if p in everything]


def test_pg_hba_admits_the_private_network_only(dev_run: ProgramRun) -> None:
    hba = _database_files(dev_run)["/etc/platform-postgres/pg_hba.conf"]["content"]
    rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
    assert ["hostssl", "all", "all", "10.0.0.0/16", "scram-sha-256"] in rules
    assert not [r for r in rules if r[0] in ("host", "hostnossl") and r[-1] != "reject"]
    assert rules[-2:] == [
        ["host", "all", "all", "0.0.0.0/0", "reject"],
        ["host", "all", "all", "::/0", "reject"],
    ]


def test_timer_schedules_parse_with_systemd(dev_run: ProgramRun) -> None:
    files = _database_files(dev_run)
    timers = [entry["content"] for path, entry in files.items() if path.endswith(".timer")]
    calendars = [
        line.split("=", 1)[1] for t in timers for line in t.splitlines() if line.startswith("OnCalendar=")
    ]
    assert len(calendars) == 3
    for calendar in calendars:
        result = subprocess.run(
            ["systemd-analyze", "calendar", calendar], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
    assert (
        subprocess.run(
            ["systemd-analyze", "calendar", "Funday 25:00"], capture_output=True, check=False
        ).returncode
        != 0
    )


def _promtool_rules(tmp_path: Path, rules_text: str) -> subprocess.CompletedProcess[str]:
    spec = yaml.safe_load(rules_text)["spec"]
    (tmp_path / "postgres-backup.rules.groups.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / RULE_TESTS.name).write_text(RULE_TESTS.read_text())
    check = subprocess.run(
        ["promtool", "check", "rules", "postgres-backup.rules.groups.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    return subprocess.run(
        ["promtool", "test", "rules", RULE_TESTS.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_alert_rules_pass_their_promtool_tests(tmp_path: Path) -> None:
    result = _promtool_rules(tmp_path, RULES.read_text())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("correct", "broken"),
    [
        ("> 26 * 3600", "> 27 * 3600"),
        ("or increase(postgres_archiver_failed_total[15m]) > 2", "and postgres_archiver_failed_total > 1e9"),
        ("> 30 * 60", "> 60 * 60"),
    ],
)
def test_promtool_tests_catch_a_weakened_rule(tmp_path: Path, correct: str, broken: str) -> None:
    text = RULES.read_text()
    assert correct in text
    result = _promtool_rules(tmp_path, text.replace(correct, broken))
    assert result.returncode != 0
