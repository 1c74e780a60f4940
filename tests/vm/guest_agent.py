"""A client of QEMU's guest agent (qemu-guest-agent in the image): runs commands in the guest and reads
their output over a virtio serial port, so the tests look inside the VM without a network path to it."""

from __future__ import annotations

import base64
import itertools
import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class GuestAgentUnavailableError(Exception):
    """The agent did not answer (the guest is booting, rebooting or down)."""


@dataclass(frozen=True)
class Completed:
    """A finished command in the guest."""

    command: str
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Completed:
        if self.returncode != 0:
            raise AssertionError(
                f"in the guest, `{self.command}` exited {self.returncode}:\n{self.stdout}\n{self.stderr}"
            )
        return self


class GuestAgent:
    """One connection per request batch; a reboot just makes the next call reconnect."""

    _ids = itertools.count(1000)

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path

    def _request(self, execute: str, arguments: dict[str, Any] | None = None, timeout: float = 10) -> Any:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(str(self.socket_path))
                stream = sock.makefile("rwb")
                sync_id = next(self._ids)
                # 0xFF resets the agent's parser; guest-sync-delimited tells our reply from stale ones.
                sync = {"execute": "guest-sync-delimited", "arguments": {"id": sync_id}}
                stream.write(b"\xff" + json.dumps(sync).encode())
                stream.flush()
                while True:
                    line = stream.readline().lstrip(b"\xff")
                    if not line:
                        raise GuestAgentUnavailableError("the agent closed the connection")
                    if json.loads(line).get("return") == sync_id:
                        break
                message: dict[str, Any] = {"execute": execute}
                if arguments is not None:
                    message["arguments"] = arguments
                stream.write(json.dumps(message).encode())
                stream.flush()
                reply = json.loads(stream.readline())
        except (OSError, ValueError) as err:
            raise GuestAgentUnavailableError(str(err)) from err
        if "error" in reply:
            raise GuestAgentUnavailableError(f"{execute}: {reply['error']}")
        return reply["return"]

    def ping(self) -> bool:
        try:
            self._request("guest-ping", timeout=3)
            return True
        except GuestAgentUnavailableError:
            return False

    def run(self, command: str, timeout: float = 600) -> Completed:
        """`sh -c command` as root in the guest; waits for it to finish."""
        started = self._request(
            "guest-exec", {"path": "/bin/sh", "arg": ["-c", command], "capture-output": True}
        )
        deadline = time.monotonic() + timeout
        while True:
            status = self._request("guest-exec-status", {"pid": started["pid"]})
            if status["exited"]:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"`{command}` still running in the guest after {timeout} s")
            time.sleep(0.5)

        def text(key: str) -> str:
            return base64.b64decode(status.get(key, "")).decode(errors="replace")

        return Completed(command, status.get("exitcode", -1), text("out-data"), text("err-data"))
