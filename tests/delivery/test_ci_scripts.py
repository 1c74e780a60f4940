"""The scripts the workflows call, run for real against stand-ins for gh, ssh, aws and pulumi:
one PR comment however often a PR is pushed, one issue per problem, a drill that checks the server's
host key, and a state-backend setup that is safe to repeat."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .fakes import FakeGitHub, write_tool
from .workflows import ROOT

MARKER = "<!-- platform:offline-preview -->"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return bin_dir, env


@pytest.fixture
def github(tmp_path: Path, sandbox: tuple[Path, dict[str, str]]) -> FakeGitHub:
    return FakeGitHub(tmp_path, *sandbox)


# ---- one PR comment --------------------------------------------------------------------------------


def test_the_report_is_posted_once_and_then_updated_in_place(github: FakeGitHub) -> None:
    first = github.run("upsert-pr-comment.sh", "7", MARKER, body="## dev\ncost 40 EUR\n")
    assert first.returncode == 0, first.stderr
    assert "posted a new comment on #7" in first.stdout
    github.seed(
        comments=[*github.state["comments"], {"id": 5, "issue": 7, "body": "LGTM", "user": {"login": "bob"}}]
    )

    second = github.run("upsert-pr-comment.sh", "7", MARKER, body="## dev\ncost 55 EUR\n")
    assert second.returncode == 0, second.stderr
    assert "updated comment 1000 on #7" in second.stdout
    ours = [c for c in github.state["comments"] if MARKER in c["body"]]
    assert len(ours) == 1
    assert ours[0]["body"] == f"{MARKER}\n## dev\ncost 55 EUR\n"
    assert [
        "api",
        "--method",
        "PATCH",
        "repos/acme/platform/issues/comments/1000",
        "--input",
        "-",
    ] in github.calls()


def test_a_comment_by_someone_else_carrying_the_marker_is_left_alone(github: FakeGitHub) -> None:
    github.seed(comments=[{"id": 9, "issue": 7, "body": f"quoting {MARKER}", "user": {"login": "mallory"}}])
    result = github.run("upsert-pr-comment.sh", "7", MARKER, body="report\n")
    assert result.returncode == 0, result.stderr
    bodies = {c["id"]: c["body"] for c in github.state["comments"]}
    assert bodies == {9: f"quoting {MARKER}", 1001: f"{MARKER}\nreport\n"}


def test_a_report_longer_than_github_allows_is_cut_with_a_note(github: FakeGitHub) -> None:
    result = github.run("upsert-pr-comment.sh", "7", MARKER, body="x" * 70_000)
    assert result.returncode == 0, result.stderr
    (comment,) = github.state["comments"]
    assert len(comment["body"]) < 65_536
    assert comment["body"].endswith("(truncated; the full report is in the run summary)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["7a", MARKER], "pull request number must be a positive integer, got '7a'"),
        (["7", "offline-preview"], "marker must be an HTML comment"),
        (["7"], "usage:"),
    ],
)
def test_pr_comment_refuses_bad_arguments(github: FakeGitHub, args: list[str], message: str) -> None:
    result = github.run("upsert-pr-comment.sh", *args, body="report\n")
    assert result.returncode == 2
    assert message in result.stderr
    assert github.calls() == []


def test_pr_comment_needs_a_report(github: FakeGitHub) -> None:
    result = github.run("upsert-pr-comment.sh", "7", MARKER, body="")
    assert result.returncode == 2
    assert "is missing or empty" in result.stderr


# ---- one issue per problem -------------------------------------------------------------------------

TITLE = "Drift in stack prod"


def test_drift_opens_one_issue_and_comments_on_it_after_that(github: FakeGitHub) -> None:
    opened = github.run("upsert-issue.sh", "open", TITLE, "drift", body="night 1\n")
    assert opened.returncode == 0, opened.stderr
    assert "opened issue #100" in opened.stdout
    again = github.run("upsert-issue.sh", "open", TITLE, "drift", body="night 2\n")
    assert "commented on issue #100" in again.stdout

    state = github.state
    assert state["labels"] == ["drift"]
    assert [(i["title"], i["state"], i["labels"]) for i in state["issues"]] == [(TITLE, "open", ["drift"])]
    assert [c["body"] for c in state["comments"]] == ["night 2\n"]


def test_a_clean_run_closes_the_issue_and_a_second_one_has_nothing_to_do(github: FakeGitHub) -> None:
    github.run("upsert-issue.sh", "open", TITLE, "drift", body="night 1\n")
    closed = github.run("upsert-issue.sh", "close", TITLE, "drift", body="clean\n")
    assert closed.returncode == 0, closed.stderr
    assert "closed issue #100" in closed.stdout
    (issue,) = github.state["issues"]
    assert issue["state"] == "closed"
    again = github.run("upsert-issue.sh", "close", TITLE, "drift", body="clean\n")
    assert "nothing to close" in again.stdout


def test_issues_of_other_stacks_and_pull_requests_are_not_mistaken_for_ours(github: FakeGitHub) -> None:
    github.seed(
        labels=["drift"],
        issues=[
            {"number": 1, "title": "Drift in stack dev", "labels": ["drift"], "state": "open"},
            {"number": 2, "title": TITLE, "labels": ["drift"], "state": "open", "pull_request": {}},
        ],
    )
    result = github.run("upsert-issue.sh", "open", TITLE, "drift", body="night 1\n")
    assert "opened issue #102" in result.stdout
    assert github.state["comments"] == []


def test_issue_refuses_a_bad_action_or_label(github: FakeGitHub) -> None:
    bad_action = github.run("upsert-issue.sh", "reopen", TITLE, "drift", body="x\n")
    assert bad_action.returncode == 2
    assert "must be 'open' or 'close', got 'reopen'" in bad_action.stderr
    bad_label = github.run("upsert-issue.sh", "open", TITLE, "drift&state=closed", body="x\n")
    assert bad_label.returncode == 2
    assert "the label must be one word" in bad_label.stderr
    assert github.calls() == []


# ---- restore drill over SSH ------------------------------------------------------------------------

FAKE_SSH = """
record="$FAKE_SSH_RECORD"
printf '%s\\n' "$@" > "$record.args"
cat > "$record.stdin"
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    -i) j=$((i + 1)); key="${!j}"; stat -c %a "$key" > "$record.keymode"; echo "$key" > "$record.keypath" ;;
    UserKnownHostsFile=*) cp "${!i#UserKnownHostsFile=}" "$record.known_hosts" ;;
  esac
done
echo "restore=41.2s recovery+promote=3.1s data_loss_window=38.9s"
exit "${FAKE_SSH_EXIT:-0}"
"""

KNOWN_HOSTS = "203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForTheTestsOnly"


@pytest.fixture
def drill(tmp_path: Path, sandbox: tuple[Path, dict[str, str]]) -> Run:
    bin_dir, env = sandbox
    write_tool(bin_dir, "ssh", FAKE_SSH)
    base = env | {
        "FAKE_SSH_RECORD": str(tmp_path / "ssh"),
        "DRILL_SSH_HOST": "203.0.113.10",
        "DRILL_SSH_KEY": "stand-in for a private key (the fake ssh never reads it)",
        "DRILL_SSH_KNOWN_HOSTS": KNOWN_HOSTS,
    }

    def run(*, unset: tuple[str, ...] = (), **extra: str) -> subprocess.CompletedProcess[str]:
        run_env = {k: v for k, v in (base | extra).items() if k not in unset}
        return subprocess.run(
            [str(ROOT / "scripts" / "ci" / "restore-drill.sh"), str(tmp_path / "drill.log")],
            env=run_env,
            capture_output=True,
            text=True,
            check=False,
        )

    return run


def test_the_drill_runs_on_the_server_with_a_pinned_host_key(tmp_path: Path, drill: Run) -> None:
    result = drill()
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "ssh.args").read_text().splitlines()
    assert args[-3:] == ["root@203.0.113.10", "bash", "-s"]
    remote = ROOT / "scripts" / "ci" / "restore-drill-remote.sh"
    assert (tmp_path / "ssh.stdin").read_text() == remote.read_text()
    assert 'systemctl start "$unit"' in remote.read_text()
    assert "StrictHostKeyChecking=yes" in args
    assert "BatchMode=yes" in args
    assert (tmp_path / "ssh.known_hosts").read_text() == KNOWN_HOSTS + "\n"
    assert (tmp_path / "ssh.keymode").read_text().strip() == "600"
    assert not Path((tmp_path / "ssh.keypath").read_text().strip()).exists(), "the key outlived the drill"
    assert "data_loss_window=38.9s" in (tmp_path / "drill.log").read_text()


def test_a_failed_drill_fails_the_job_with_its_output_kept(tmp_path: Path, drill: Run) -> None:
    result = drill(FAKE_SSH_EXIT="3", DRILL_SSH_USER="drill", DRILL_COMMAND="sudo /usr/local/sbin/drill")
    assert result.returncode == 3
    assert "the drill on 203.0.113.10 failed (exit 3)" in result.stderr
    args = (tmp_path / "ssh.args").read_text().splitlines()
    assert args[-2:] == ["drill@203.0.113.10", "sudo /usr/local/sbin/drill"]
    assert (tmp_path / "ssh.stdin").read_text() == ""
    assert "restore=41.2s" in (tmp_path / "drill.log").read_text()


@pytest.mark.parametrize("missing", ["DRILL_SSH_HOST", "DRILL_SSH_KEY", "DRILL_SSH_KNOWN_HOSTS"])
def test_the_drill_names_what_is_missing(tmp_path: Path, drill: Run, missing: str) -> None:
    result = drill(unset=(missing,))
    assert result.returncode == 2
    assert f"{missing} is not set" in result.stderr
    assert not (tmp_path / "ssh.args").exists()


# ---- state backend setup ---------------------------------------------------------------------------

FAKE_AWS = """
echo "aws $*" >> "$FAKE_LOG"
case " $* " in
  *" head-bucket "*) [ -n "${FAKE_BUCKET_EXISTS:-}" ] ;;
esac
"""

FAKE_PULUMI = """
echo "pulumi $*" >> "$FAKE_LOG"
if [ "$1 $2" = "stack select" ]; then
  case " ${FAKE_STACKS:-} " in *" $3 "*) exit 0 ;; *) exit 1 ;; esac
fi
"""


@pytest.fixture
def setup_backend(tmp_path: Path, sandbox: tuple[Path, dict[str, str]]) -> Run:
    bin_dir, env = sandbox
    write_tool(bin_dir, "aws", FAKE_AWS)
    write_tool(bin_dir, "pulumi", FAKE_PULUMI)
    base = env | {
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
        "PULUMI_CONFIG_PASSPHRASE": "correct horse battery staple",
    }

    def run(*args: str, unset: tuple[str, ...] = (), **extra: str) -> subprocess.CompletedProcess[str]:
        run_env = {k: v for k, v in (base | extra).items() if k not in unset}
        return subprocess.run(
            [str(ROOT / "scripts" / "setup-state-backend.sh"), *args],
            env=run_env,
            capture_output=True,
            text=True,
            check=False,
        )

    return run


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


URL = "s3://acme-pulumi-state?endpoint=fsn1.your-objectstorage.com&s3ForcePathStyle=true&region=fsn1"
S3 = "aws s3api --endpoint-url https://fsn1.your-objectstorage.com --region fsn1"


def test_first_run_creates_the_bucket_logs_in_and_creates_both_stacks(
    tmp_path: Path, setup_backend: Run
) -> None:
    result = setup_backend("--bucket", "acme-pulumi-state")
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == [
        f"{S3} head-bucket --bucket acme-pulumi-state",
        f"{S3} create-bucket --bucket acme-pulumi-state"
        " --create-bucket-configuration LocationConstraint=fsn1",
        f"{S3} put-bucket-versioning --bucket acme-pulumi-state --versioning-configuration Status=Enabled",
        f"pulumi login {URL}",
        "pulumi stack select dev",
        "pulumi stack init dev --secrets-provider passphrase",
        "pulumi stack select prod",
        "pulumi stack init prod --secrets-provider passphrase",
    ]
    assert f"variable PULUMI_BACKEND_URL = {URL}" in result.stdout


def test_a_second_run_changes_nothing_that_exists(tmp_path: Path, setup_backend: Run) -> None:
    result = setup_backend(
        "--bucket",
        "acme-pulumi-state",
        "--location",
        "hel1",
        "--stack",
        "prod",
        FAKE_BUCKET_EXISTS="1",
        FAKE_STACKS="dev prod",
    )
    assert result.returncode == 0, result.stderr
    made = [c for c in calls(tmp_path) if "create-bucket" in c or "stack init" in c]
    assert made == []
    assert "pulumi login s3://acme-pulumi-state?endpoint=hel1.your-objectstorage.com" in "\n".join(
        calls(tmp_path)
    )


@pytest.mark.parametrize(
    ("args", "unset", "message"),
    [
        ((), (), "--bucket is required"),
        (("--bucket", "Acme_State"), (), "bucket name 'Acme_State' is invalid"),
        (("--bucket", "acme-state", "--location", "ash"), (), "location 'ash' has no Object Storage"),
        (("--bucket", "acme-state", "--stack", "Prod"), (), "stack name 'Prod' is invalid"),
        (
            ("--bucket", "acme-state"),
            ("AWS_SECRET_ACCESS_KEY",),
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
        (("--bucket", "acme-state"), ("PULUMI_CONFIG_PASSPHRASE",), "set PULUMI_CONFIG_PASSPHRASE"),
        (("--bucket", "acme-state", "--region", "fsn1"), (), "unknown argument '--region'"),
    ],
)
def test_setup_refuses_bad_input_before_touching_anything(
    tmp_path: Path, setup_backend: Run, args: tuple[str, ...], unset: tuple[str, ...], message: str
) -> None:
    result = setup_backend(*args, unset=unset)
    assert result.returncode == 2
    assert message in result.stderr
    assert calls(tmp_path) == []


def test_setup_says_which_tool_is_missing(tmp_path: Path, setup_backend: Run) -> None:
    (tmp_path / "bin" / "aws").unlink()
    result = setup_backend("--bucket", "acme-state")
    assert result.returncode == 2
    assert "'aws' is not installed" in result.stderr
    assert os.listdir(tmp_path / "bin") == ["pulumi"]


# ---- the part that runs on the database server -----------------------------------------------------

FAKE_SYSTEMCTL = """
case "$1" in
  start) echo "$2" > "$FAKE_RECORD.started"; exit "${FAKE_UNIT_EXIT:-0}" ;;
  show) echo "3f2a9c0d5e" ;;
esac
"""

FAKE_JOURNALCTL = """
echo "journalctl $*"
echo "restore=41.2s recovery+promote=3.1s verify(amcheck)=9.0s data_loss=12.5s amcheck=ok"
"""


@pytest.mark.parametrize("unit_exit", [0, 1])
def test_on_the_server_the_drill_unit_runs_and_its_log_is_printed(
    tmp_path: Path, sandbox: tuple[Path, dict[str, str]], unit_exit: int
) -> None:
    bin_dir, env = sandbox
    write_tool(bin_dir, "systemctl", FAKE_SYSTEMCTL)
    write_tool(bin_dir, "journalctl", FAKE_JOURNALCTL)
    result = subprocess.run(
        ["bash", "-s"],
        stdin=(ROOT / "scripts" / "ci" / "restore-drill-remote.sh").open(),
        env=env | {"FAKE_RECORD": str(tmp_path / "unit"), "FAKE_UNIT_EXIT": str(unit_exit)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == unit_exit
    assert (tmp_path / "unit.started").read_text().strip() == "postgres-restore-drill.service"
    assert "journalctl --no-pager --output cat _SYSTEMD_INVOCATION_ID=3f2a9c0d5e" in result.stdout
    assert "data_loss=12.5s" in result.stdout
