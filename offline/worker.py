"""The preview's worker: a second interpreter for the work that needs nothing of the program's.

The preview's own process is busy on one core from its start to the program's end (one interpreter,
one GIL), while the other core has little to do besides the policy pack. Two jobs of that process only
need what the program hands them:

- the pulumi-tls stand-ins (offline/fake_tls.py, with `cryptography`, and an RSA key the program is
  known to take, made ahead);
- the policy gate (offline/policy/gate.py): starting the pack, checking its config against the
  policies' schemas (`jsonschema`), and the engine's conversation with it, two gRPC calls per
  registered resource and `AnalyzeStack` at the end. Run in the preview's interpreter, its threads
  took the GIL from the program at every reply, and the replies waited for the GIL in turn.

The CLI starts this worker before it imports anything else; the worker imports those libraries and
makes the keys on the other core, then does as it is told. The preview's interpreter loads neither
`cryptography`, `jsonschema` nor a gRPC channel; it sends each registration as it is recorded and
gets the verdict back at the end.

Protocol, on the worker's stdin and stdout: frames of a 4-byte big-endian length and a pickle (both
ends are this module, in processes of the same checkout). A request is `(name, args, answer)`; when
`answer` is true the worker replies `(True, result)` or `(False, exception)`, the exception raised
again on the caller's side. The worker ends when its stdin closes, stopping a pack it started.
`python -m offline.worker [RSA BITS ...]` runs it (the sizes of the keys to make ahead).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from .project import PROJECT_DIR

if TYPE_CHECKING:
    from .policy.gate import Gate
    from .policy.pack import PackProject, PolicyPackProcess, StackContext
    from .policy.verdict import PolicyReport
    from .registration import Registration

_LENGTH = struct.Struct(">I")


class WorkerError(RuntimeError):
    """The worker failed or went away."""


def _write(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    """The next message, or None at the end of the stream."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    return pickle.loads(stream.read(length))


class _HostedGate:
    """The policy gate as the worker runs it: one pack, one `Gate`, started by `open`.

    `open` comes without waiting for an answer; what goes wrong there is raised by `finish`.
    """

    def __init__(self) -> None:
        self._pack: PolicyPackProcess | None = None
        self._gate: Gate | None = None
        self._error: Exception | None = None

    def open(self, project: PackProject, context: StackContext, config_file: Path | None) -> None:
        from .policy.gate import Gate
        from .policy.pack import PolicyPackProcess

        self.close()
        self._error = None
        try:
            self._pack = PolicyPackProcess(project, context)
            self._pack.start()
            self._gate = Gate(self._pack, config_file, connect=True)
        except Exception as err:  # raised by finish, on the preview's side
            self._error = err

    def submit(self, resource: Registration) -> None:
        if self._gate is not None:
            self._gate.submit(resource)

    def finish(self, resources: Sequence[Registration]) -> tuple[PolicyReport, list[Registration]]:
        """The gate's verdict; the pack keeps running until `close` (the caller reports meanwhile)."""
        if self._error is not None:
            error, self._error = self._error, None
            self.close()
            raise error
        assert self._gate is not None, "gate.open first"
        try:
            return self._gate.finish(resources)
        except BaseException as err:
            self.close(err)
            raise

    def close(self, error: BaseException | None = None) -> None:
        gate, pack, self._gate, self._pack = self._gate, self._pack, None, None
        if gate is not None:
            gate.__exit__(type(error) if error else None, error, None)
        if pack is not None:
            pack.stop()


def _import_the_gate() -> None:
    """The gate's modules (gRPC, the Pulumi SDK's protocol, jsonschema), loaded while the preview reads
    its stack, so that `gate.open` finds them."""
    from .policy import gate  # noqa: F401


def serve(rsa_bits: Sequence[int], requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer requests until `requests` ends; keys of `rsa_bits` are made ahead on threads meanwhile."""
    from . import fake_tls

    for bits in rsa_bits:  # prime search runs in OpenSSL without the GIL: alongside the imports below
        threading.Thread(target=fake_tls.generate_rsa_ahead, args=(bits,), daemon=True).start()
    threading.Thread(target=_import_the_gate, daemon=True).start()
    gate = _HostedGate()
    calls: dict[str, Callable[..., Any]] = {
        "tls.private_key": fake_tls.private_key,
        "tls.self_signed_cert": fake_tls.self_signed_cert,
        "tls.cert_request": fake_tls.cert_request,
        "tls.locally_signed_cert": fake_tls.locally_signed_cert,
        "tls.rsa_keys_waiting": fake_tls.rsa_keys_waiting,
        "gate.open": gate.open,
        "gate.submit": gate.submit,
        "gate.finish": gate.finish,
        "gate.close": gate.close,
    }
    try:
        while (request := _read(requests)) is not None:
            name, args, answer = request
            try:
                result: tuple[bool, Any] = (True, calls[name](*args))
            except Exception as err:  # every failure goes back to the caller
                result = (False, err)
            if answer:
                try:
                    _write(answers, result)
                except (pickle.PicklingError, TypeError, AttributeError) as err:
                    _write(answers, (False, WorkerError(f"{name}: {result[1]!r} ({err})")))
    finally:
        gate.close()


class Worker:
    """The preview's side: start the worker, call it (from any thread), close it."""

    def __init__(self, rsa_bits: Sequence[int] = ()) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "offline.worker", *map(str, rsa_bits)],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._lock = threading.Lock()

    def _request(self, name: str, args: tuple[Any, ...], answer: bool) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            with contextlib.suppress(OSError):  # it exited: reading the answer says so
                _write(self._process.stdin, (name, args, answer))
            if not answer:
                return None
            reply = _read(self._process.stdout)
        if reply is None:
            raise WorkerError(f"the preview's worker (offline/worker.py) exited ({self._process.poll()})")
        ok, result = reply
        if not ok:
            raise result
        return result

    def call(self, name: str, *args: Any) -> Any:
        """Run `name` in the worker and return its result (or raise its exception here)."""
        return self._request(name, args, answer=True)

    def send(self, name: str, *args: Any) -> None:
        """Hand `name` its arguments without waiting (a failure shows at the next call)."""
        self._request(name, args, answer=False)

    def tls(self, kind: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """A pulumi-tls stand-in (`kind`: a function of offline/fake_tls.py)."""
        result: dict[str, Any] = self.call(f"tls.{kind}", inputs)
        return result

    def close(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):  # a worker that died leaves the last request in the pipe
                self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class RemoteGate:
    """offline/policy/gate.py's `Gate`, run in the worker: the pack starts as this is made (without
    waiting: a pack that cannot start is reported by `finish`)."""

    def __init__(
        self, worker: Worker, project: PackProject, context: StackContext, config_file: Path | None
    ) -> None:
        self._worker = worker
        project.interpreter()  # a missing virtualenv is refused here, before anything starts
        worker.send("gate.open", project, context, config_file)

    def submit(self, resource: Registration) -> None:
        """Queue a registered resource (call in registration order)."""
        self._worker.send("gate.submit", resource)

    def finish(self, resources: Sequence[Registration]) -> tuple[PolicyReport, list[Registration]]:
        """The verdict and the resources after remediation; the pack stops while the caller goes on."""
        report, analyzed = self._worker.call("gate.finish", list(resources))
        self.close()
        return report, analyzed

    def close(self) -> None:
        """Have the worker stop the pack (idempotent; the worker stops it at its end in any case)."""
        self._worker.send("gate.close")

    def __enter__(self) -> RemoteGate:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


if __name__ == "__main__":
    serve([int(bits) for bits in sys.argv[1:]], sys.stdin.buffer, sys.stdout.buffer)
    os._exit(0)  # the preview waits for this exit: skip the interpreter's teardown (and any unused key)
