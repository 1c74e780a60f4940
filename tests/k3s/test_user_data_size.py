"""Every server's user-data fits Hetzner's limit with room to spare, and cloud-init decodes what we
compressed to fit it.

The limit is read from the vendored record of Hetzner's documented API limits (row "Server `user_data`
size"), not from our own code. The stacks: dev, prod, dev with self-hosted Supabase (the database VM
carries the most files there), and prod with 100 agents and the autoscaled pool (the autoscaler hands
Hetzner the same kind of user-data for every server it creates).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest
import yaml

from offline.program import ProgramRun, run_program

from ..cloud_init_files import decoded
from ..supabase.test_program import SELF_HOSTED
from ..upstream_data import upstream_file

SERVER = "hcloud:index/server:Server"
CLOUD_INIT_PYTHON = "/usr/bin/python3"
"""The interpreter of Debian's cloud-init package, which imports the `cloudinit` modules."""


def hetzner_user_data_limit() -> int:
    """Bytes, from the vendored limits table: '| 1 | Server `user_data` size | max **32 KiB** | ...'."""
    text = upstream_file("hetzner/api-limits.md").read_text()
    row = next(line for line in text.splitlines() if "`user_data` size" in line)
    match = re.search(r"\*\*(\d+) KiB\*\*", row)
    assert match, row
    return int(match.group(1)) * 1024


MARGIN = 7 / 8
"""Share of the limit a rendered document may use: 4 KiB stay free for real secret lengths, SSH keys
and the next script. Today's largest (cp-0 of prod, with the CA keys) is about 23,600 bytes (72 %)."""


@pytest.fixture(scope="module")
def stack_runs(dev_run: ProgramRun, prod_run: ProgramRun) -> dict[str, ProgramRun]:
    return {
        "dev": dev_run,
        "prod": prod_run,
        "dev, self-hosted Supabase": run_program("dev", overrides=SELF_HOSTED),
        "prod, 100 agents": run_program(
            "prod", overrides={"cluster.agentPools[0].count": 100, "cluster.autoscaler.enabled": True}
        ),
    }


def _autoscaled_user_data(run: ProgramRun) -> dict[str, str]:
    """Node group -> the user-data the cluster-autoscaler sends Hetzner for each server it creates."""
    (secret,) = [s for s in run.of_type("kubernetes:core/v1:Secret") if s.name == "k3s-autoscaler-hcloud"]
    document = json.loads(base64.b64decode(secret.plain_inputs["stringData"]["cluster-config"]))
    return {group: config["cloudInit"] for group, config in document["nodeConfigs"].items()}


def test_the_limit_read_is_hetzners_32_kib() -> None:
    assert hetzner_user_data_limit() == 32768


def test_every_servers_user_data_fits_the_limit_with_margin(stack_runs: dict[str, ProgramRun]) -> None:
    budget = int(hetzner_user_data_limit() * MARGIN)
    sizes = {
        (stack, server.name): len(server.plain_inputs["userData"].encode())
        for stack, run in stack_runs.items()
        for server in run.of_type(SERVER)
    }
    autoscaled = _autoscaled_user_data(stack_runs["prod, 100 agents"])
    assert autoscaled
    sizes.update({("prod, 100 agents", group): len(text.encode()) for group, text in autoscaled.items()})
    assert len([key for key in sizes if key[0] == "prod, 100 agents"]) >= 100
    too_big = {key: size for key, size in sizes.items() if size > budget}
    assert not too_big, f"user-data over {budget} bytes ({MARGIN:.0%} of Hetzner's limit): {too_big}"


def _cloud_init_decodes(entries: list[dict[str, str]]) -> list[str]:
    """What cloud-init's own write_files module writes for each entry (its extract_contents)."""
    program = (
        "import json, sys\n"
        "from cloudinit.config.cc_write_files import canonicalize_extraction, extract_contents\n"
        "entries = json.load(sys.stdin)\n"
        "out = [extract_contents(e['content'], canonicalize_extraction(e.get('encoding')))\n"
        "       for e in entries]\n"
        "out = [o if isinstance(o, str) else o.decode() for o in out]\n"
        "json.dump(out, sys.stdout)\n"
    )
    result = subprocess.run(
        [CLOUD_INIT_PYTHON, "-c", program],
        input=json.dumps(entries),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"cloud-init's Python modules are needed (scripts/install-debian-tools.sh): {result.stderr}"
    )
    return list(json.loads(result.stdout))


def test_cloud_init_decodes_every_file_as_the_tests_read_it(prod_run: ProgramRun) -> None:
    """cloud-init's own decoder and tests/cloud_init_files.py agree on every file of every server, so
    the tests that compare written files with their sources (shellcheck'd scripts, configs) speak
    about what cloud-init really writes."""
    compressed = 0
    for server in prod_run.of_type(SERVER):
        entries = yaml.safe_load(server.plain_inputs["userData"])["write_files"]
        compressed += sum(entry.get("encoding") == "gz+b64" for entry in entries)
        assert _cloud_init_decodes(entries) == [decoded(entry) for entry in entries], server.name
    assert compressed > 20
