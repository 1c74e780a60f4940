"""Which tests reach a real consumer: a pytest plugin that records, per test, the real programs and
libraries that check what the project renders, and sorts every test into one class.

Run (the whole suite, or any part of it):
    .venv/bin/pytest -p benchmarks.real_consumers -q [tests/...]
The table goes to the terminal summary; `REAL_CONSUMERS_JSON=FILE` also writes the per-test record.

Classes (the audit's method, docs: shared review "aesthetics" B.4):
- strict: cloud-init, shellcheck, PostgreSQL/pgBackRest, promtool, amtool, Kubernetes schemas (built-in
  and CRD validators), actionlint, the aws CLI/boto3 against moto, helm, kong, decK's offline validation
  (deck-file-validate), Renovate and its config validator (run through scripts/renovate.sh);
- broader: openssl, PyJWT, `cryptography` x509 verification, systemd-analyze, graphviz;
- own scripts: the project's own shell scripts run for real against fakes;
- policy: the project's policy pack;
- own code only: everything else.
A tool run inside a module- or class-scoped fixture counts for every test of that module.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent

STRICT = {
    "cloud-init",
    "shellcheck",
    "initdb",
    "pg_ctl",
    "postgres",
    "psql",
    "pg_basebackup",
    "pg_dump",
    "pg_restore",
    "pg_isready",
    "pgbackrest",
    "promtool",
    "amtool",
    "k8s-schema",
    "crd-validator",
    "actionlint",
    "aws",
    "boto3",
    "helm",
    "kong",
    "deck-file-validate",
    "renovate",
    "renovate-config-validator",
    "sshd",
    "iptables",
    "ip",
    "dash",
}
BROADER = {"openssl", "jwt", "x509-verify", "systemd-analyze", "dot"}
_POSTGRES_PREFIX = "/usr/lib/postgresql/"
_LAUNCHERS = {"renovate.sh"}
"""Project scripts that only install and exec a real tool, named by their first argument."""

_current: list[str] = []
_records: dict[str, set[str]] = defaultdict(set)


def _record(tool: str) -> None:
    for key in _current:
        _records[key].add(tool)


def _is_project_file(argument: str) -> bool:
    try:
        return len(argument) < 256 and (PROJECT_DIR / argument).is_file()
    except OSError:
        return False


def _tool(argv: Any) -> str | None:
    """The tool a subprocess runs (a project script counts as "own-script")."""
    first = argv if isinstance(argv, str | os.PathLike) else (argv[0] if argv else "")
    text = str(first).split()[0] if str(first).strip() else ""
    if not text:
        return None
    path = Path(text)
    resolved = path.resolve() if path.is_absolute() else path
    if path.name in _LAUNCHERS and not isinstance(argv, str) and len(argv) > 1:
        return str(argv[1])
    if path.is_absolute() and PROJECT_DIR in resolved.parents and "crd_schemas" not in text:
        return "own-script"
    name = path.name
    if name == "node" and any("validate.mjs" in str(a) for a in argv[1:] if not isinstance(argv, str)):
        return "crd-validator"
    if name in {"bash", "sh"} and not isinstance(argv, str):
        rest = [str(a) for a in argv[1:]]
        scripts = [a for a in rest if str(PROJECT_DIR) in a or _is_project_file(a)]
        return "own-script" if scripts or "-c" in rest else name
    if text.startswith(_POSTGRES_PREFIX) or name in STRICT | BROADER:
        return name
    return name


def _wrap(owner: Any, attribute: str, tool: str) -> None:
    original: Callable[..., Any] = getattr(owner, attribute)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _record(tool)
        return original(*args, **kwargs)

    with contextlib.suppress(AttributeError, TypeError):  # a class implemented in Rust: left unrecorded
        setattr(owner, attribute, wrapper)


def pytest_configure(config: pytest.Config) -> None:
    original_init = subprocess.Popen.__init__

    def popen_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        tool = _tool(args)
        if tool:
            _record(tool)
        original_init(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = popen_init  # type: ignore[method-assign]
    import jwt

    _wrap(jwt, "decode", "jwt")
    try:
        import boto3

        _wrap(boto3, "client", "boto3")
    except ImportError:
        pass
    from cryptography import x509

    _wrap(x509.Certificate, "verify_directly_issued_by", "x509-verify")
    from tests import k8s_schema

    for name in ("_builtin_errors", "_local_schema_errors"):
        _wrap(k8s_schema, name, "k8s-schema")
    _wrap(k8s_schema, "_custom_resource_errors", "crd-validator")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    if fixturedef.scope in ("module", "class"):
        _current.append(f"module::{request.node.nodeid.split('::')[0]}")
        try:
            return (yield)
        finally:
            _current.pop()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    _current.append(item.nodeid)
    try:
        return (yield)
    finally:
        _current.pop()


def classify(nodeid: str, tools: set[str]) -> str:
    if tools & STRICT or any(t.startswith(_POSTGRES_PREFIX) for t in tools):
        return "strict"
    if tools & BROADER:
        return "broader"
    if "own-script" in tools:
        return "own scripts"
    if nodeid.startswith("tests/policies/") or "policy" in nodeid.split("::", maxsplit=1)[0]:
        return "policy"
    return "own code only"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    tests = [
        report.nodeid
        for key in ("passed", "failed", "error")
        for report in terminalreporter.stats.get(key, [])
        if report.when == "call"
    ]
    per_test = {
        nodeid: sorted(_records.get(nodeid, set()) | _records.get(f"module::{nodeid.split('::')[0]}", set()))
        for nodeid in tests
    }
    classes = Counter(classify(nodeid, set(tools)) for nodeid, tools in per_test.items())
    total = max(len(per_test), 1)
    terminalreporter.section("tests that reach a real consumer")
    for name in ("strict", "broader", "own scripts", "policy", "own code only"):
        terminalreporter.write_line(f"{name:14} {classes[name]:5}  {100 * classes[name] / total:5.1f} %")
    terminalreporter.write_line(f"{'total':14} {len(per_test):5}")
    if target := os.environ.get("REAL_CONSUMERS_JSON"):
        Path(target).write_text(json.dumps(per_test, indent=1, sort_keys=True))
