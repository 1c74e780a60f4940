"""Starts a Python policy pack as the Pulumi engine does, and connects to its Analyzer server.

The engine (pulumi/pulumi `analyzer_plugin.go`, `NewPolicyAnalyzer`) reads `PulumiPolicy.yaml` and, since
v3.221.0 (pulumi/pulumi#21684), asks the Python language host to `RunPlugin` it: the host resolves a
toolchain (from 3.227 on, uv when it finds ../uv.lock: that needs `uv` on PATH, see
scripts/pulumi-env.sh) and runs `python -u -m pulumi.policy <engine address> <pack dir>` with the pack
directory as working directory, and the stack's config in `PULUMI_CONFIG` plus `PULUMI_PROJECT`,
`PULUMI_STACK`, `PULUMI_DRY_RUN` and `PULUMI_ORGANIZATION`. The pack's `PolicyPack(...)` then serves the
Analyzer protocol on 127.0.0.1 and prints the port on stdout. We start the same module with this
project's interpreter (the environment the uv toolchain would use), arguments, directory and
environment.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import grpc
import yaml
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

_START_TIMEOUT_S = 120.0
_MAX_MESSAGE = 400 * 1024 * 1024  # the engine's gRPC limit for analyzers (rpcutil.GrpcChannelOptions)
_ENGINE_ADDRESS = "127.0.0.1:0"
"""The Python policy host parses but never dials the engine address (pulumi/policy/__main__.py)."""


class PolicyPackError(RuntimeError):
    """The policy pack could not be loaded or started; the message says what to fix."""


@dataclass(frozen=True)
class PackProject:
    """What `PulumiPolicy.yaml` says about a pack."""

    directory: Path
    runtime: str
    options: Mapping[str, Any]
    version: str | None
    description: str | None

    @classmethod
    def load(cls, directory: Path) -> PackProject:
        path = directory / "PulumiPolicy.yaml"
        if not path.is_file():
            raise PolicyPackError(
                f"{directory} is not a policy pack: it has no PulumiPolicy.yaml "
                "(pass --policy-pack DIR, or --no-policy to skip the gate)"
            )
        try:
            data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or {}
        except yaml.YAMLError as err:
            raise PolicyPackError(f"{path} is not valid YAML: {err}") from err
        runtime = data.get("runtime")
        name, options = (
            (runtime.get("name"), runtime.get("options") or {})
            if isinstance(runtime, dict)
            else (
                runtime,
                {},
            )
        )
        if name != "python":
            raise PolicyPackError(f"{path}: runtime is {name!r}; the offline gate runs Python packs only")
        version = data.get("version")
        return cls(
            directory, name, options, None if version is None else str(version), data.get("description")
        )

    def interpreter(self) -> str:
        """The shim's choice: the virtualenv's python when `virtualenv` is set and exists, else ours."""
        venv = self.options.get("virtualenv")
        if not venv:
            return sys.executable
        venv_path = Path(venv) if Path(venv).is_absolute() else self.directory / venv
        python = venv_path / "bin" / "python"
        if not python.is_file():
            raise PolicyPackError(
                f'"{venv_path}" doesn\'t appear to be a virtual environment (PulumiPolicy.yaml '
                "runtime.options.virtualenv); create it or remove the option to use this interpreter"
            )
        return str(python)


@dataclass(frozen=True)
class StackContext:
    """What the engine tells a pack about the stack it analyzes."""

    organization: str
    project: str
    stack: str
    config: Mapping[str, str]
    """Full config keys (`project:key`) to plain string values, secrets already decrypted."""
    secret_keys: tuple[str, ...] = ()
    dry_run: bool = True


class PolicyPackProcess:
    """A running policy pack and an Analyzer client connected to it. Use as a context manager."""

    def __init__(self, project: PackProject, context: StackContext) -> None:
        self.project = project
        self.context = context
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)
        if self.context.config:
            env["PULUMI_CONFIG"] = json.dumps(dict(self.context.config))
        env["PULUMI_ORGANIZATION"] = self.context.organization
        env["PULUMI_PROJECT"] = self.context.project
        env["PULUMI_STACK"] = self.context.stack
        env["PULUMI_DRY_RUN"] = "true" if self.context.dry_run else "false"
        return env

    def _arguments(self) -> list[str]:
        options = [f"-{key}={value}" for key, value in self.project.options.items() if f"{value}" != ""]
        return [self.project.interpreter(), "-u", "-m", "pulumi.policy", _ENGINE_ADDRESS, ".", *options]

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        self.connect()
        return self

    def start(self) -> None:
        """Start the process; it imports the pack while the caller does other work (the engine, too,
        loads analyzers before the program registers anything)."""
        # stderr goes to a file, not a pipe: a chatty pack must never block on a full pipe buffer.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop(), which every path calls)
        self._process = subprocess.Popen(
            self._arguments(),
            cwd=self.project.directory,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )

    def connect(self) -> None:
        """Wait for the port the pack prints, connect, and send the engine's opening calls."""
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", _MAX_MESSAGE)]
        )
        grpc.channel_ready_future(self._channel).result(timeout=_START_TIMEOUT_S)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._handshake_and_configure_stack()

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + _START_TIMEOUT_S
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                self._fail(f"did not print its port within {_START_TIMEOUT_S:.0f} s")
            chunk = self._process.stdout.read1(64)  # type: ignore[attr-defined]
            if not chunk:
                self._fail("exited before it started its Analyzer server")
            line += chunk
        selector.close()
        try:
            return int(line.strip())
        except ValueError:
            self._fail(f"printed {line.strip()[:200]!r} instead of a port number (a print() in the pack?)")
        raise AssertionError("unreachable")

    def _fail(self, what: str) -> None:
        detail = self.stop().strip()
        raise PolicyPackError(
            f"policy pack {self.project.directory} {what}" + (f":\n{detail}" if detail else "")
        )

    def _handshake_and_configure_stack(self) -> None:
        directory = str(self.project.directory)
        for call, request in (
            (
                self.stub.Handshake,
                analyzer_pb2.AnalyzerHandshakeRequest(
                    engine_address=_ENGINE_ADDRESS, root_directory=directory, program_directory=directory
                ),
            ),
            (
                self.stub.ConfigureStack,
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=self.context.stack,
                    project=self.context.project,
                    organization=self.context.organization,
                    dry_run=self.context.dry_run,
                    config=dict(self.context.config),
                    config_secret_keys=list(self.context.secret_keys),
                ),
            ),
        ):
            try:
                call(request)
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNIMPLEMENTED:  # like the engine: optional calls
                    raise

    def stop(self) -> str:
        """Stop the pack (it serves until told otherwise) and return what it wrote to stderr."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        stderr, self._stderr = self._stderr, None
        if stderr is None:
            return ""
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
        stderr.close()
        return text

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
