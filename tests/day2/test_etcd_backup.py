"""etcd snapshots are scheduled with retention on every server, and the off-site S3 credentials reach
k3s only through a Secret in kube-system: never config.yaml, user-data, a file or a process argument."""

from __future__ import annotations

import yaml

from components import versions
from offline.program import ProgramRun, run_program
from offline.wire import contains_secret

from ..graph import diff, stack_config
from ..k3s.user_data import k3s_config, written_files
from ..upstream_data import upstream_file

SERVER = "hcloud:index/server:Server"


def _servers(run: ProgramRun) -> list:
    return [s for s in run.of_type(SERVER) if s.plain_inputs["labels"]["platform/role"] == "control-plane"]


def test_prod_servers_snapshot_on_schedule_to_s3_through_the_secret(prod_run: ProgramRun) -> None:
    for server in _servers(prod_run):
        config = k3s_config(server)
        assert config["etcd-snapshot-schedule-cron"] == "0 */6 * * *"
        assert config["etcd-snapshot-retention"] == 28
        assert config["etcd-s3"] is True
        assert config["etcd-s3-config-secret"] == "k3s-etcd-s3"
        # k3s ignores the Secret entirely when any S3 setting is also in config.yaml (k3s ADR etcd-s3-secret)
        assert not [k for k in config if k.startswith("etcd-s3-") and k != "etcd-s3-config-secret"]


def test_the_secret_holds_location_and_credentials(prod_run: ProgramRun) -> None:
    (secret,) = [s for s in prod_run.of_type("kubernetes:core/v1:Secret") if s.name == "k3s-etcd-s3"]
    inputs = secret.plain_inputs
    assert inputs["metadata"] == {
        "name": "k3s-etcd-s3",
        "namespace": "kube-system",
        "labels": inputs["metadata"]["labels"],
    }
    data = inputs["stringData"]
    assert data["etcd-s3-bucket"] == "platform-prod-etcd"
    assert data["etcd-s3-folder"] == "etcd-snapshots"
    access = prod_run.settings.config["platform:etcdS3AccessKey"]
    secret_key = prod_run.settings.config["platform:etcdS3SecretKey"]
    assert (data["etcd-s3-access-key"], data["etcd-s3-secret-key"]) == (access, secret_key)
    assert contains_secret(secret.inputs["stringData"]), "the credentials stay Pulumi secrets"


def test_the_bucket_keeps_a_week_of_every_servers_snapshots(prod_run: ProgramRun) -> None:
    """k3s prunes S3 by `etcd-s3-retention` (flag default 5), counting all servers' snapshots together;
    with the settings in a Secret, only the Secret's key sets it. Prod: 3 servers x 28 (a week at 6 h)."""
    (secret,) = [s for s in prod_run.of_type("kubernetes:core/v1:Secret") if s.name == "k3s-etcd-s3"]
    assert secret.plain_inputs["stringData"]["etcd-s3-retention"] == "84"
    for server in _servers(prod_run):
        assert k3s_config(server)["etcd-snapshot-retention"] == 28, "each server's own disk: a week"
    flags = upstream_file(f"k3s/{versions.K3S_VERSION}/server-flags.txt").read_text().split()
    assert "etcd-s3-retention" in flags, "the pinned k3s has no S3 retention setting"


def test_s3_credentials_are_nowhere_on_the_servers(prod_run: ProgramRun) -> None:
    credentials = [prod_run.settings.config[f"platform:etcdS3{k}Key"] for k in ("Access", "Secret")]
    for server in prod_run.of_type(SERVER):
        user_data = server.plain_inputs["userData"]
        texts = [user_data, *(entry["content"] for entry in written_files(server).values())]
        assert not [c for c in credentials for text in texts if c in text], server.name


def test_restore_script_and_its_settings_are_on_every_server(prod_run: ProgramRun) -> None:
    for server in _servers(prod_run):
        files = written_files(server)
        assert files["/usr/local/sbin/platform-etcd-restore"]["permissions"] == "0700"
        settings = dict(
            line.split("=", 1) for line in files["/etc/platform/etcd-backup.env"]["content"].splitlines()
        )
        assert settings == {
            "ETCD_S3_ENDPOINT": "fsn1.your-objectstorage.com",
            "ETCD_S3_REGION": "fsn1",
            "ETCD_S3_BUCKET": "platform-prod-etcd",
            "ETCD_S3_FOLDER": "etcd-snapshots",
        }


def test_dev_keeps_local_snapshots_only_and_needs_no_s3_secret(dev_run: ProgramRun) -> None:
    (server,) = _servers(dev_run)
    config = k3s_config(server)
    assert config["etcd-snapshot-retention"] == 28
    assert "etcd-s3" not in config
    assert not [s for s in dev_run.of_type("kubernetes:core/v1:Secret") if s.name == "k3s-etcd-s3"]
    env = written_files(server)["/etc/platform/etcd-backup.env"]["content"]
    assert "ETCD_S3_BUCKET=\n" in env


def test_snapshot_settings_match_on_every_server(prod_run: ProgramRun) -> None:
    """The schedule is cluster-wide state in k3s; a server with other values would fight the rest."""
    settings = {
        yaml.safe_dump({k: v for k, v in k3s_config(s).items() if k.startswith("etcd-")})
        for s in _servers(prod_run)
    }
    assert len(settings) == 1


def test_moving_the_off_site_folder_changes_the_secret_and_nothing_else(prod_run: ProgramRun) -> None:
    """The graph diff sees inside Secrets: the folder lives only in the k3s-etcd-s3 Secret."""
    cluster = stack_config("prod", "cluster")
    moved = {**cluster, "etcdBackup": {**cluster.get("etcdBackup", {}), "s3Folder": "somewhere-else"}}
    change = diff(prod_run, run_program("prod", overrides={"cluster": moved}))
    assert change.changed == {"k3s-etcd-s3"}
    assert change.added == change.removed == set()
