"""Mutation check: does the suite notice when a security-, durability- or availability-relevant setting
is broken? Each mutant below changes one line of the tree; the tests that cover that file must fail.

Run: `python -m benchmarks.mutants [--only NAME ...] [--list] [--no-baseline]`
Every mutant is applied to a temporary copy of the tree (the files git tracks plus untracked ones it
does not ignore; installed tool folders are linked), never to the working tree. Before the mutants,
the covering tests run once on the unmutated copy and must pass (otherwise a "kill" means nothing).
Then each mutant runs only its covering tests (`pytest -x`), and the run prints which mutants
survived and the kill ratio. Exit status 1 when any mutant survives or cannot be applied.

A mutant names its file, the exact original text (found exactly once in that file; the well-formedness
test in tests/test_mutants.py keeps the list current as the code changes) and the replacement.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .provenance import LoadMonitor, Provenance

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Covering tests, by area (paths relative to the project).
_GRAPH = "tests/k3s/test_cluster_graph.py"
_K3S_FILES = "tests/k3s/test_rendered_files.py"
_NODE_SECURITY = "tests/k3s/test_node_security_settings.py"
_PG_FILES = "tests/postgres/test_rendered_files.py"
_PG_REAL = "tests/postgres/test_real_postgres.py"
_PG_COMPONENT = "tests/postgres/test_component.py"
_PILOT = "tests/test_pilot_components.py"
_SCHEMAS = "tests/test_k8s_schemas.py"
_RULES = "tests/test_prometheus_rules.py"
_POLICY_STACKS = "tests/policies/test_policy_stacks.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    """Test files (or node ids) that cover the file; the fastest likely killer first."""
    why: str


MUTANTS: tuple[Mutant, ...] = (
    # -- network ------------------------------------------------------------------------------------
    Mutant(
        "network-labels-dropped",
        "components/network/component.py",
        "            ip_range=args.cidr,\n            labels=labels,\n",
        "            ip_range=args.cidr,\n",
        (_GRAPH,),
        "label: the private network loses its stack labels (audit M1)",
    ),
    Mutant(
        "kube-api-port",
        "components/network/firewall_rules.py",
        'KUBE_API_PORT = "6443"',
        'KUBE_API_PORT = "6444"',
        (_GRAPH,),
        "port: the firewall opens the wrong port for the Kubernetes API",
    ),
    Mutant(
        "ssh-from-anywhere",
        "components/network/firewall_rules.py",
        'return [_tcp(SSH_PORT, admin_cidrs, "SSH from admin networks"), _icmp()]',
        'return [_tcp(SSH_PORT, WORLD, "SSH from admin networks"), _icmp()]',
        (_GRAPH,),
        "CIDR: SSH to agents and the database VM from the whole internet",
    ),
    # -- k3s nodes -----------------------------------------------------------------------------------
    Mutant(
        "k3s-secrets-encryption-off",
        "components/k3s/node_config.py",
        '    "secrets-encryption": True,',
        '    "secrets-encryption": False,',
        (_K3S_FILES,),
        "k3s stores Secrets in etcd unencrypted",
    ),
    Mutant(
        "sshd-password-login",
        "components/k3s/files/sshd-hardening.conf",
        "PasswordAuthentication no",
        "PasswordAuthentication yes",
        (_NODE_SECURITY,),
        "sshd accepts passwords",
    ),
    Mutant(
        "psa-default-baseline",
        "components/k3s/files/psa.yaml",
        "        enforce: restricted",
        "        enforce: baseline",
        (_NODE_SECURITY,),
        "Pod Security admission enforces only baseline by default",
    ),
    Mutant(
        "etcd-retention-key",
        "components/k3s/etcd_backup.py",
        '"etcd-snapshot-retention": self.retention,',
        '"etcd-snapshot-retentions": self.retention,',
        ("tests/day2/test_etcd_backup.py", "tests/contracts/"),
        "retention: a misspelt k3s key, so k3s keeps its default number of snapshots",
    ),
    Mutant(
        "ca-validity-one-year",
        "components/k3s/trust.py",
        "CA_VALIDITY_HOURS = 10 * 365 * 24",
        "CA_VALIDITY_HOURS = 365 * 24",
        ("tests/k3s/test_trust_chain.py",),
        "the cluster CAs expire after a year (k3s cannot renew custom CAs)",
    ),
    Mutant(
        "etcd-retention-default",
        "components/config/day2.py",
        "retention: int = Field(default=28, ge=1, le=1000)",
        "retention: int = Field(default=2, ge=1, le=1000)",
        ("tests/day2/test_etcd_backup.py",),
        "retention: two etcd snapshots kept on each server",
    ),
    Mutant(
        "upgrade-concurrency",
        "components/day2/upgrades.py",
        '        "concurrency": 1,\n        "version": k3s_version,',
        '        "concurrency": 3,\n        "version": k3s_version,',
        ("tests/day2/test_upgrades.py",),
        "availability: all servers upgrade at once",
    ),
    Mutant(
        "cert-alert-threshold",
        "components/k3s/files/k3s-day2.rules.yaml",
        "          < 30 * 24 * 3600\n        for: 1h",
        "          < 3 * 24 * 3600\n        for: 1h",
        (_RULES,),
        "alert threshold: an unrenewed certificate alerts 3 days before expiry instead of 30",
    ),
    # -- PostgreSQL VM -------------------------------------------------------------------------------
    Mutant(
        "pg-hba-md5",
        "components/postgres/files/pg_hba.conf",
        "{{ allowed_network }}    scram-sha-256",
        "{{ allowed_network }}    md5",
        (_PG_FILES, _PG_REAL),
        "pg_hba method: md5 instead of scram-sha-256",
    ),
    Mutant(
        "pg-hba-world-trust",
        "components/postgres/files/pg_hba.conf",
        "host     all       all       0.0.0.0/0             reject",
        "host     all       all       0.0.0.0/0             trust",
        (_PG_FILES, _PG_REAL),
        "pg_hba: plain-text connections from anywhere without a password",
    ),
    Mutant(
        "pg-archive-off",
        "components/postgres/files/postgresql.conf",
        "archive_mode = on",
        "archive_mode = off",
        (_PG_FILES, _PG_REAL),
        "archive setting: no WAL archiving, no point-in-time recovery",
    ),
    Mutant(
        "pg-tls-1.0",
        "components/postgres/files/postgresql.conf",
        "ssl_min_protocol_version = 'TLSv1.2'",
        "ssl_min_protocol_version = 'TLSv1'",
        (_PG_FILES, _PG_REAL),
        "PostgreSQL accepts TLS 1.0",
    ),
    Mutant(
        "pgbackrest-unencrypted",
        "components/postgres/files/pgbackrest.conf",
        "repo1-cipher-type=aes-256-cbc",
        "repo1-cipher-type=none",
        (_PG_FILES, _PG_REAL),
        "backups reach the object store in clear text",
    ),
    Mutant(
        "backup-alert-threshold",
        "components/postgres/files/postgres-backup.rules.yaml",
        "(pgbackrest_last_good_backup_timestamp_seconds) > 26 * 3600",
        "(pgbackrest_last_good_backup_timestamp_seconds) > 260 * 3600",
        (_PG_FILES,),
        "alert threshold: a missing backup alerts after ten days",
    ),
    Mutant(
        "pg-user-data-plain",
        "components/postgres/component.py",
        "            user_data=rendered,\n",
        "            user_data=pulumi.Output.unsecret(rendered),\n",
        (_PG_COMPONENT,),
        "secret marker: the database VM's user-data (passwords, keys) stored in plain text (audit M2)",
    ),
    Mutant(
        "pg-no-clean-shutdown",
        "components/postgres/component.py",
        "            shutdown_before_deletion=True,",
        "            shutdown_before_deletion=False,",
        (_PG_COMPONENT,),
        "durability: the database VM is deleted without a clean PostgreSQL shutdown",
    ),
    # -- observability -------------------------------------------------------------------------------
    Mutant(
        "prometheus-retention-key",
        "components/observability/values.py",
        '"retention": retention,',
        '"retentionn": retention,',
        ("tests/test_observability_retention.py", "tests/contracts/"),
        "Helm value key: Prometheus retention misspelt, silently ignored by the chart (audit M4)",
    ),
    Mutant(
        "disk-alert-threshold",
        "components/observability/files/platform.rules.yaml",
        '/ node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs",mountpoint!~"/run.*"} < 0.05',
        '/ node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs",mountpoint!~"/run.*"} < 0.005',
        (_RULES,),
        "alert threshold: a full disk pages at 0.5 % free instead of 5 %",
    ),
    Mutant(
        "alertmanager-no-resolved",
        "components/observability/alertmanager.py",
        'channels["discord_configs"] = [{"webhook_url": discord_url, "send_resolved": True}]',
        'channels["discord_configs"] = [{"webhook_url": discord_url, "send_resolved": False}]',
        ("tests/test_alertmanager_config.py",),
        "on-call never hears that an alert resolved",
    ),
    # -- ingress -------------------------------------------------------------------------------------
    Mutant(
        "https-redirect-temporary",
        "components/ingress/traefik_values.py",
        '"entryPoint": {"to": "websecure", "scheme": "https", "permanent": True, "priority": 1}',
        '"entryPoint": {"to": "web", "scheme": "https", "permanent": True, "priority": 1}',
        (_PILOT,),
        "HTTP is not redirected to the TLS entry point",
    ),
    Mutant(
        "hsts-off",
        "components/ingress/traefik_values.py",
        '"stsSeconds": hsts_max_age,',
        '"stsSeconds": 0,',
        (_PILOT,),
        "no HSTS header",
    ),
    # -- object store --------------------------------------------------------------------------------
    Mutant(
        "seaweedfs-root",
        "components/object_store/seaweedfs.py",
        '            "allowPrivilegeEscalation": False,\n            "runAsNonRoot": True,',
        '            "allowPrivilegeEscalation": False,\n            "runAsNonRoot": False,',
        ("tests/object_store/test_seaweedfs_pod_security.py", "tests/object_store/"),
        "securityContext field: SeaweedFS containers may run as root (Pod Security refuses the pods)",
    ),
    Mutant(
        "seaweedfs-single-copy",
        "components/object_store/seaweedfs.py",
        '"defaultReplication": cfg.replication,',
        '"defaultReplication": "000",',
        ("tests/object_store/",),
        "durability: one copy of every object",
    ),
    Mutant(
        "bucket-versioning-suspended",
        "components/object_store/files/bootstrap-buckets.sh",
        'put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled',
        'put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Suspended',
        ("tests/object_store/",),
        "durability: overwritten or deleted objects cannot be recovered",
    ),
    # -- app and workloads ---------------------------------------------------------------------------
    Mutant(
        "app-capabilities-kept",
        "components/app/web.py",
        '                    "capabilities": {"drop": ["ALL"]},',
        '                    "capabilities": {"drop": []},',
        (_PILOT, _POLICY_STACKS),
        "securityContext field: the web containers keep every Linux capability",
    ),
    Mutant(
        "app-service-account-token",
        "components/app/web.py",
        '"automountServiceAccountToken": False,',
        '"automountServiceAccountToken": True,',
        (_PILOT, _POLICY_STACKS),
        "every web pod carries a Kubernetes API token",
    ),
    Mutant(
        "app-pdb-none",
        "components/app/component.py",
        '"maxUnavailable": 1},',
        '"maxUnavailable": 3},',
        (_PILOT, _POLICY_STACKS),
        "availability: a drain may take every web replica at once",
    ),
    Mutant(
        "workload-root",
        "components/workloads/specs.py",
        '            "readOnlyRootFilesystem": cfg.read_only_root_filesystem,\n'
        '            "runAsNonRoot": True,',
        '            "readOnlyRootFilesystem": cfg.read_only_root_filesystem,\n'
        '            "runAsNonRoot": False,',
        ("tests/workloads/", _POLICY_STACKS),
        "securityContext field: workers and CronJobs may run as root",
    ),
    Mutant(
        "namespace-egress-open",
        "components/k8s_namespace.py",
        'pod_selector=_selector(None), policy_types=["Ingress", "Egress"]',
        'pod_selector=_selector(None), policy_types=["Ingress"]',
        (_PILOT, "tests/workloads/", _POLICY_STACKS),
        "default-deny no longer covers egress: every pod may call anywhere",
    ),
    Mutant(
        "namespace-psa-label",
        "components/k8s_namespace.py",
        '"pod-security.kubernetes.io/enforce": pod_security,',
        '"pod-security.kubernetes.io/enforce": "privileged",',
        (_PILOT, _POLICY_STACKS),
        "label: every namespace admits privileged pods",
    ),
    # -- self-hosted Supabase ------------------------------------------------------------------------
    Mutant(
        "supabase-capabilities-kept",
        "components/supabase/workload.py",
        '        "capabilities": {"drop": ["ALL"]},\n        "readOnlyRootFilesystem": spec.read_only_root,',
        '        "capabilities": {"drop": []},\n        "readOnlyRootFilesystem": spec.read_only_root,',
        ("tests/supabase/test_component.py",),
        "securityContext field: Supabase containers keep every Linux capability",
    ),
    Mutant(
        "kong-timeout-string",
        "components/supabase/files/kong.yml",
        "    read_timeout: 160000",
        '    read_timeout: "160000"',
        ("tests/supabase/test_kong.py",),
        "gateway entity field of the wrong type: decK's validation (tests/supabase/deck.py) refuses the file",
    ),
    # -- pins ----------------------------------------------------------------------------------------
    Mutant(
        "renovate-annotation-misspelt",
        "components/versions.py",
        "# renovate: datasource=helm depName=loki registryUrl=",
        "# renovate: datasource=helm depname=loki registryUrl=",
        ("tests/delivery/test_renovate.py::test_renovate_reads_every_annotated_pin_of_versions_py",),
        "Renovate annotation: the Loki chart is never updated (Renovate itself no longer extracts it)",
    ),
    # -- policies ------------------------------------------------------------------------------------
    Mutant(
        "policy-node-port-advisory",
        "policies/platform_security/exposure.py",
        '    name="exposure-no-node-port",\n    description="Services must not be of type NodePort.",\n'
        "    level=EnforcementLevel.MANDATORY,",
        '    name="exposure-no-node-port",\n    description="Services must not be of type NodePort.",\n'
        "    level=EnforcementLevel.ADVISORY,",
        ("tests/policies/",),
        "policy enforcement level: a NodePort Service no longer blocks the deploy",
    ),
    Mutant(
        "policy-k3s-hardening-advisory",
        "policies/platform_security/cluster.py",
        '"defaults and the block that keeps pods away from the metadata endpoint.",\n'
        "    level=EnforcementLevel.MANDATORY,",
        '"defaults and the block that keeps pods away from the metadata endpoint.",\n'
        "    level=EnforcementLevel.ADVISORY,",
        ("tests/policies/",),
        "policy enforcement level: an unhardened k3s server no longer blocks the deploy",
    ),
)


class MutantError(Exception):
    """The mutant list does not match the tree (the code changed under it): say which and how to fix."""


def occurrences(mutant: Mutant, root: Path = PROJECT_DIR) -> int:
    path = root / mutant.file
    if not path.is_file():
        raise MutantError(f"mutant {mutant.name}: {mutant.file} does not exist; update benchmarks/mutants.py")
    return path.read_text().count(mutant.original)


def check(mutants: Iterable[Mutant], root: Path = PROJECT_DIR) -> None:
    """Every original text is in its file exactly once and every covering test path exists."""
    problems = []
    for mutant in mutants:
        found = occurrences(mutant, root)
        if found != 1:
            problems.append(
                f"mutant {mutant.name}: its original text is in {mutant.file} {found} times (must be once): "
                f"{mutant.original!r}"
            )
        if mutant.original == mutant.replacement:
            problems.append(f"mutant {mutant.name}: the replacement equals the original")
        problems += [
            f"mutant {mutant.name}: covering test {test} does not exist"
            for test in mutant.tests
            if not (root / test.split("::")[0]).exists() and not test.startswith("tests/contracts/")
        ]
    if problems:
        raise MutantError("\n".join(problems) + "\nupdate benchmarks/mutants.py to the current code")


def copy_tree(target: Path) -> None:
    """The files git tracks and the untracked ones it does not ignore; installed tool folders linked."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        relative = raw.decode()
        source = PROJECT_DIR / relative
        if not source.is_file():
            continue  # deleted in the working tree
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / relative)
    for installed in [*PROJECT_DIR.glob("**/node_modules"), PROJECT_DIR / ".tools"]:
        if ".venv" in installed.parts or not installed.exists():
            continue
        link = target / installed.relative_to(PROJECT_DIR)
        if not link.exists() and "node_modules" not in installed.parent.parts:
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(installed)


def _pytest(root: Path, tests: Sequence[str]) -> subprocess.CompletedProcess[str]:
    from tests.upstream_data import upstream_dir

    env = {**os.environ, "PLATFORM_UPSTREAM_DIR": str(upstream_dir()), "PYTHONDONTWRITEBYTECODE": "1"}
    present = [t for t in tests if (root / t.split("::")[0]).exists()]
    if not present:
        raise MutantError(f"none of the covering tests {list(tests)} exists")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *present]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _apply_and_test(root: Path, mutant: Mutant) -> tuple[str, float, str]:
    path = root / mutant.file
    original = path.read_text()
    path.write_text(original.replace(mutant.original, mutant.replacement, 1))
    begun = time.monotonic()
    try:
        result = _pytest(root, mutant.tests)
    finally:
        path.write_text(original)
    verdict = {1: "killed", 0: "SURVIVED"}.get(result.returncode, f"ERROR (pytest exit {result.returncode})")
    return verdict, time.monotonic() - begun, _last_line(result.stdout)


def run(mutants: Sequence[Mutant], baseline: bool = True, jobs: int = 2) -> int:
    check(mutants)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        roots: queue.Queue[Path] = queue.Queue()
        for index in range(jobs):
            root = Path(scratch) / f"tree-{index}"
            copy_tree(root)
            roots.put(root)
        if baseline:
            covering = sorted({t for m in mutants for t in m.tests})
            halves = [covering[index::jobs] for index in range(jobs)]
            with ThreadPoolExecutor(jobs) as pool:
                results = list(pool.map(_pytest, [Path(scratch) / f"tree-{i}" for i in range(jobs)], halves))
            for result in results:
                print(f"baseline (unmutated copy): {_last_line(result.stdout)}", flush=True)
            if any(r.returncode != 0 for r in results):
                for result in results:
                    print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
                print("the covering tests fail without any mutant: fix that first", file=sys.stderr)
                return 2

        def one(mutant: Mutant) -> tuple[Mutant, str]:
            root = roots.get()
            try:
                verdict, seconds, summary = _apply_and_test(root, mutant)
            finally:
                roots.put(root)
            print(f"{verdict:9} {mutant.name:32} {seconds:6.0f} s  {summary}", flush=True)
            return mutant, verdict

        with ThreadPoolExecutor(jobs) as pool:
            verdicts = list(pool.map(one, mutants))
    survivors = [m.name for m, verdict in verdicts if verdict != "killed"]
    killed = len(mutants) - len(survivors)
    minutes = (time.monotonic() - started) / 60
    ratio = 100 * killed / max(len(mutants), 1)
    print(f"\nkilled {killed} of {len(mutants)} ({ratio:.0f} %) in {minutes:.1f} min")
    if survivors:
        print("survived: " + ", ".join(survivors))
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutants", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these mutants only")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the tests")
    parser.add_argument(
        "--jobs", type=int, default=2, help="mutants tested at once (default 2, one per core)"
    )
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    unknown = sorted(set(args.only or ()) - {m.name for m in MUTANTS})
    if unknown:
        parser.error(f"no mutant named {', '.join(unknown)}; see --list")
    if args.list:
        for mutant in chosen:
            print(f"{mutant.name:32} {mutant.file}: {mutant.why}")
        return 0
    try:
        with LoadMonitor() as monitor:
            status = run(chosen, baseline=not args.no_baseline, jobs=max(1, args.jobs))
    except MutantError as err:
        print(err, file=sys.stderr)
        return 2
    print(Provenance.of(monitor.result()).text())
    return status


if __name__ == "__main__":
    sys.exit(main())
