"""The real Pulumi CLI (built by scripts/build-pulumi.sh) on a scratch copy of the project, offline.

Each `CliProject` is a copy of the files a `pulumi` run reads (Pulumi.yaml, the stack files, the program
and the policy pack), a `file://` state backend, a passphrase secrets provider and a Pulumi home of its
own, all in one temporary folder, so the repository's stack files never get an `encryptionsalt` or a
secret. Every command runs in a network namespace of its own (`unshare --net`: loopback only), with
the update check and plugin downloads switched off and uv offline, so nothing can reach the network.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE

from tests.upstream_data import REPO_ROOT

BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-pulumi.sh"
PULUMI_ENV = REPO_ROOT / "scripts" / "pulumi-env.sh"
BASE_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
PASSPHRASE = "cli-test-passphrase"
# What `pulumi` reads for a run: the project and stack files, the program (every top-level module
# `__main__.py` may import), the policy pack.
PROJECT_FILES = (
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    *sorted(module.name for module in REPO_ROOT.glob("*.py")),
    "pyproject.toml",
    "uv.lock",
)
PROJECT_DIRS = ("components", "policies")
# The placeholders the README's commands use, and what a test types instead.
RUN_TIMEOUT_SECONDS = 900
README_PLACEHOLDERS = {"<token>": "h" * 64}  # a Hetzner token is exactly 64 characters


class CliBuildError(RuntimeError):
    """scripts/build-pulumi.sh did not produce the programs the tests run."""


@dataclass(frozen=True)
class Binaries:
    cli: Path
    """The real `pulumi` binary."""
    language_host: Path
    """Folder of the stand-in `pulumi-language-python` and the SDK's `pulumi-language-python-exec`."""
    deploy_env: dict[str, str]
    """What the README's deploy section adds to the environment (`eval "$(scripts/pulumi-env.sh)"`):
    uv on PATH for the `uv` toolchain, UV_FROZEN."""


def _script_output(script: Path) -> list[str]:
    done = subprocess.run([str(script)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CliBuildError(
            f"{script.relative_to(REPO_ROOT)} failed (exit {done.returncode}); it needs Go 1.26 and the Go "
            f"module proxy; run it by hand to see the whole log. Last lines:\n{done.stderr[-3000:]}"
        )
    return done.stdout.strip().splitlines()


def deploy_environment() -> dict[str, str]:
    """The variables `eval "$(scripts/pulumi-env.sh)"` sets or changes, on top of BASE_PATH."""
    base = {"PATH": BASE_PATH, "HOME": os.environ.get("HOME", "/root")}
    done = subprocess.run(
        ["bash", "-c", f'eval "$({PULUMI_ENV})" && env -0'],
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CliBuildError(f"scripts/pulumi-env.sh failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    after = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    return {
        key: value
        for key, value in after.items()
        if base.get(key) != value and key not in ("PWD", "SHLVL", "_")
    }


def build_binaries() -> Binaries:
    """Builds (or finds in the cache) the CLI and the stand-in language host."""
    cli_dir, host_dir = (Path(line) for line in _script_output(BUILD_SCRIPT)[-2:])
    binaries = Binaries(cli_dir / "pulumi", host_dir, deploy_environment())
    for program in (binaries.cli, host_dir / "pulumi-language-python"):
        if not os.access(program, os.X_OK):
            raise CliBuildError(f"{program} is missing or not executable after the build")
    return binaries


def readme_secret_commands() -> list[list[str]]:
    """The `pulumi config set --secret …` commands the README's deploy section shows, as argv lists."""
    text = (REPO_ROOT / "README.md").read_text()
    commands = []
    for line in re.findall(r"^pulumi config set --secret .*$", text, flags=re.MULTILINE):
        argv = line.split("#", 1)[0].split()
        commands.append([README_PLACEHOLDERS.get(word, word) for word in argv])
    return commands


@dataclass
class CliProject:
    binaries: Binaries
    root: Path
    """Scratch folder: `project/` (the copy), `state/` (file backend), `home/` (PULUMI_HOME)."""
    language_host: bool = False
    """Whether the stand-in language host is on PATH, in the README's deploy environment; without it a
    preview stops where the engine loads the language host, which isolates what the real binary alone
    checks."""

    @classmethod
    def create(cls, binaries: Binaries, root: Path, *, language_host: bool = False) -> CliProject:
        project = root / "project"
        project.mkdir(parents=True)
        for name in PROJECT_FILES:
            shutil.copy2(REPO_ROOT / name, project / name)
        for name in PROJECT_DIRS:
            shutil.copytree(REPO_ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        # The project's environment, as scripts/bootstrap-python.sh made it (package = false in
        # pyproject.toml, so nothing in it points back at the repository).
        (project / ".venv").symlink_to(REPO_ROOT / ".venv")
        (root / "state").mkdir()
        (root / "home").mkdir()
        return cls(binaries, root, language_host)

    @property
    def project(self) -> Path:
        return self.root / "project"

    def env(self) -> dict[str, str]:
        env = {
            "PATH": f"{self.binaries.cli.parent}:{BASE_PATH}",
            "HOME": os.environ.get("HOME", str(self.root / "home")),  # uv's cache of the locked wheels
            "PULUMI_HOME": str(self.root / "home"),
            "PULUMI_BACKEND_URL": f"file://{self.root / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "UV_OFFLINE": "1",
            "NO_COLOR": "1",
        }
        if self.language_host:  # the README's deploy environment, and the stand-in host on PATH
            env.update(self.binaries.deploy_env)
            env["PATH"] = f"{self.binaries.cli.parent}:{self.binaries.language_host}:{env['PATH']}"
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`pulumi ARGS` in the project copy, non-interactive, inside a network namespace of its own."""
        flags = ("--non-interactive", "--color", "never")
        # A fresh network namespace has only a loopback interface, and that one down: the engine talks
        # to its plugins over 127.0.0.1, so bring it up first.
        netns = ("unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh")
        argv = [*netns, str(self.binaries.cli), *args, *flags]
        # A session of its own, so a timeout ends the plugins the engine started too.
        with subprocess.Popen(
            argv,
            cwd=self.project,
            env=self.env(),
            stdout=PIPE,
            stderr=PIPE,
            text=True,
            start_new_session=True,
        ) as process:
            try:
                stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                stderr += f"\n(killed after {RUN_TIMEOUT_SECONDS} s)"
        return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)

    def ok(self, *args: str) -> str:
        """Like `run`, but a failure is the test's failure, with everything the CLI printed."""
        done = self.run(*args)
        assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def init_stack(self, stack: str) -> None:
        """The README's first step on a fresh stack: `stack init` with the passphrase provider."""
        self.ok("stack", "init", stack, "--secrets-provider", "passphrase")

    def set_readme_secrets(self) -> None:
        for command in readme_secret_commands():
            self.ok(*command[1:])
