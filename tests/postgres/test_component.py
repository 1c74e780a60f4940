"""PostgresServer under the offline mocks: what the cloud would receive for each mode and stack."""

from __future__ import annotations

import pytest

from components.config import SERVER_TYPES
from components.postgres.component import connection_url
from components.postgres.scram import scram_sha256_verifier
from components.postgres.tuning import tuned_settings
from offline.program import ProgramError, ProgramRun, run_program
from offline.wire import is_secret


def _one(run: ProgramRun, typ: str, name: str):
    (found,) = [r for r in run.of_type(typ) if r.name == name]
    return found


def test_dev_database_vm_is_private_labelled_and_replaceable(dev_run: ProgramRun) -> None:
    server = _one(dev_run, "hcloud:index/server:Server", "postgres-server")
    inputs = server.plain_inputs
    assert inputs["serverType"] == "cpx32"
    assert inputs["labels"]["platform/role"] == "database"
    assert inputs["labels"]["platform/component"] == "postgres"
    assert [n["ip"] for n in inputs["networks"]] == ["10.0.1.20"]
    assert len(inputs["firewallIds"]) == 1
    assert inputs["shutdownBeforeDeletion"] is True
    assert server.delete_before_replace and not server.protect
    assert set(server.ignore_changes) >= {"userData", "image"}
    assert not inputs.get("deleteProtection")
    volume = _one(dev_run, "hcloud:index/volume:Volume", "postgres-data")
    assert volume.plain_inputs["size"] == 40 and not volume.protect


def test_prod_database_vm_and_volume_are_protected(prod_run: ProgramRun) -> None:
    server = _one(prod_run, "hcloud:index/server:Server", "postgres-server")
    assert server.protect
    assert server.plain_inputs["deleteProtection"] and server.plain_inputs["rebuildProtection"]
    volume = _one(prod_run, "hcloud:index/volume:Volume", "postgres-data")
    assert volume.protect and volume.plain_inputs["deleteProtection"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_user_data_is_a_secret(stack: str, dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    """The user-data (database passwords, TLS key, S3 keys) reaches the engine, and so the state, as a
    secret input; `additional_secret_outputs` would only hide the output."""
    server = _one(dev_run if stack == "dev" else prod_run, "hcloud:index/server:Server", "postgres-server")
    assert is_secret(server.inputs["userData"])
    assert "userData" in server.additional_secret_outputs


def test_managed_mode_creates_no_server() -> None:
    run = run_program("dev", overrides={"postgres": {"mode": "managed"}})
    assert not [r for r in run.of_type("hcloud:index/server:Server") if r.name == "postgres-server"]
    assert not run.of_type("hcloud:index/volume:Volume")
    assert run.outputs["database"]["mode"] == "managed"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"postgres": {"serverType": "cx99"}}, "unknown Hetzner server type 'cx99'"),
        ({"postgres": {"majorVersion": 12}}, "PostgreSQL 12 is not supported"),
        ({"postgres": {"appUser": "dbadmin"}}, "postgres.appUser"),
        ({"postgres": {"backup": {"s3Endpoint": "https://fsn1.example.com"}}}, "no scheme"),
        ({"postgres": {"backup": {"fullSchedule": "weekly; rm -rf /"}}}, "OnCalendar"),
        (
            {
                "location": "ash",
                "cluster": {
                    "controlPlane": {"serverType": "cpx21"},
                    "agentPools": [{"name": "general", "serverType": "cpx31"}],
                },
                "postgres": {"serverType": "cx33"},
            },
            'postgres.serverType = "cx33": not sold in ash',
        ),
    ],
)
def test_bad_database_settings_fail_with_the_key_named(overrides: dict, message: str) -> None:
    with pytest.raises(ProgramError, match="invalid stack configuration") as err:
        run_program("dev", overrides=overrides)
    assert message in str(err.value)


def test_vm_mode_requires_the_bucket_keys() -> None:
    with pytest.raises(ProgramError, match="postgresS3AccessKey is required"):
        run_program("dev", stand_in_missing_secrets=False, secret_overrides={"hcloudToken": "x"})


@pytest.mark.parametrize(
    ("server_type", "expected"),
    [
        # The 4 GB and 8 GB columns of PGTune's "web" profile (dr_obs_policy.md A.8).
        (
            "cx23",
            {
                "shared_buffers": "1GB",
                "effective_cache_size": "3GB",
                "maintenance_work_mem": "256MB",
                "work_mem": "9709kB",
                "wal_buffers": "16MB",
                "huge_pages": "off",
            },
        ),
        (
            "cx33",
            {
                "shared_buffers": "2GB",
                "effective_cache_size": "6GB",
                "maintenance_work_mem": "512MB",
                "work_mem": "20164kB",
                "huge_pages": "try",
                "max_worker_processes": "4",
                "max_parallel_workers_per_gather": "2",
            },
        ),
        ("cpx11", {"shared_buffers": "512MB", "work_mem": "4854kB", "wal_buffers": "16MB"}),
    ],
)
def test_tuning_follows_pgtune(server_type: str, expected: dict[str, str]) -> None:
    settings = tuned_settings(SERVER_TYPES[server_type], max_connections=100)
    assert {key: settings.get(key) for key in expected} == expected
    if SERVER_TYPES[server_type].vcpus < 4:
        assert "max_worker_processes" not in settings


def test_scram_verifier_matches_rfc7677_test_vector() -> None:
    # RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ== , 4096 iterations.
    import base64

    verifier = scram_sha256_verifier("pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
    assert verifier == (
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
    )
    with pytest.raises(ValueError, match="16 bytes"):
        scram_sha256_verifier("pencil", b"short")


def test_connection_url_verifies_the_server_and_quotes_the_password() -> None:
    url = connection_url("app", "p@ss/word", "10.0.1.20", 5432, "app")
    assert url.startswith("postgresql://app:p%40ss%2Fword@10.0.1.20:5432/app?")
    assert "sslmode=verify-full" in url and "sslrootcert=%2Fetc%2Fpostgres-ca%2Fca.crt" in url


def test_repository_passphrase_is_exported_as_a_secret_only(dev_run: ProgramRun) -> None:
    from offline.wire import is_secret

    exported = dev_run.outputs["database"]
    assert is_secret(exported["repositoryCipherPass"])
    assert not is_secret(exported["host"])
