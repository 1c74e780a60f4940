"""The preview's worker: a second interpreter for work that needs nothing of the program's.

The preview's own process is busy on one core from its start to the program's end (one interpreter,
one GIL), while the other core has little to do until the policy pack starts. Two jobs of that process
depend on nothing the program builds and pull in large libraries: the pulumi-tls stand-ins
(offline/fake_tls.py, with `cryptography`, and an RSA key the program is known to take) and the check of
the pack's config against its policies' schemas (offline/policy/schema_check.py, with `jsonschema`).
The CLI starts this worker before it imports anything else; the worker imports both, makes the keys,
and then answers calls. The preview's interpreter never loads either library.

Protocol, on the worker's stdin and stdout: one JSON object per line. A call is `{"call": NAME,
"args": [...]}`; the answer `{"result": ...}` or `{"error": [EXCEPTION CLASS, MESSAGE]}`. The worker
ends when its stdin closes. `python -m offline.worker [RSA BITS ...]` runs it (the sizes of the keys to
make ahead).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any

from .project import PROJECT_DIR

_RAISED_AS_IS = (ValueError, TypeError, KeyError)
"""Errors a call raises in the caller's process with their own class (a bad input to a stand-in)."""


class WorkerError(RuntimeError):
    """The worker failed or went away."""


def _calls() -> dict[str, Callable[..., Any]]:
    from . import fake_tls
    from .policy import schema_check

    return {
        "tls.private_key": fake_tls.private_key,
        "tls.self_signed_cert": fake_tls.self_signed_cert,
        "tls.cert_request": fake_tls.cert_request,
        "tls.locally_signed_cert": fake_tls.locally_signed_cert,
        "tls.rsa_keys_waiting": fake_tls.rsa_keys_waiting,
        "schema.first_errors": schema_check.first_errors,
    }


def serve(rsa_bits: Sequence[int], requests: IO[str], answers: IO[str]) -> None:
    """Answer calls until `requests` ends; keys of `rsa_bits` are made ahead on threads meanwhile."""
    from . import fake_tls

    for bits in rsa_bits:  # prime search runs in OpenSSL without the GIL: alongside the imports below
        threading.Thread(target=fake_tls.generate_rsa_ahead, args=(bits,), daemon=True).start()
    calls = _calls()
    for line in requests:
        request = json.loads(line)
        try:
            answer: dict[str, Any] = {"result": calls[request["call"]](*request["args"])}
        except Exception as err:  # every failure goes back to the caller
            answer = {"error": [type(err).__name__, str(err)]}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


class Worker:
    """The preview's side: start the worker, call it (from any thread, one call at a time), close it."""

    def __init__(self, rsa_bits: Sequence[int] = ()) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "offline.worker", *map(str, rsa_bits)],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()

    def call(self, name: str, *args: Any) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            try:
                self._process.stdin.write(json.dumps({"call": name, "args": args}) + "\n")
                self._process.stdin.flush()
            except OSError:
                pass  # it exited: the empty answer below says so
            line = self._process.stdout.readline()
        if not line:
            raise WorkerError(f"the preview's worker (offline/worker.py) exited ({self._process.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            kind, message = answer["error"]
            error = getattr(builtins, kind, None)
            if isinstance(error, type) and issubclass(error, _RAISED_AS_IS):
                raise error(message)
            raise WorkerError(f"{name}: {kind}: {message}")
        return answer["result"]

    def tls(self, kind: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """A pulumi-tls stand-in (`kind`: a function of offline/fake_tls.py)."""
        result: dict[str, Any] = self.call(f"tls.{kind}", inputs)
        return result

    def schema_checks(self, checks: Sequence[tuple[Any, Any]]) -> list[Any]:
        """offline/policy/schema_check.py's `first_errors`."""
        result: list[Any] = self.call("schema.first_errors", list(checks))
        return result

    def close(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):  # a worker that died leaves the last call in the pipe
                self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


if __name__ == "__main__":
    serve([int(bits) for bits in sys.argv[1:]], sys.stdin, sys.stdout)
    os._exit(0)  # the preview waits for this exit: skip the interpreter's teardown (and any unused key)
