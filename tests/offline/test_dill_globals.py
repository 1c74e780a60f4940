"""The bytecode reading of dill's global-name search (offline/dill_globals.py) gives dill's own answer
(the oracle: `dill.detect.nestedglobals` itself) for every code object of the project, and the providers
the SDK pickles come out byte for byte the same."""

from __future__ import annotations

from collections.abc import Iterator
from types import CodeType

import dill.detect
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from offline import dill_globals
from offline.program import PROJECT_DIR

DILLS = dill_globals._DILLS


def _code_objects() -> Iterator[CodeType]:
    for folder in ("components", "offline", "policies", "preflight"):
        for path in sorted((PROJECT_DIR / folder).rglob("*.py")):
            yield from dill_globals._nested(compile(path.read_text(), str(path), "exec"))


def test_every_code_object_of_the_project_gets_dills_names() -> None:
    checked = 0
    for code in _code_objects():
        assert sorted(dill_globals.nestedglobals(code)) == sorted(DILLS(code)), code
        checked += 1
    assert checked > 1000


def test_code_that_prints_the_marker_elsewhere_goes_to_dill() -> None:
    source = "def f():\n    X_GLOBAL = 1\n    return obj.A_GLOBAL + len('B_GLOBAL') + X_GLOBAL\n"
    code = next(c for c in dill_globals._nested(compile(source, "<test>", "exec")) if c.co_name == "f")
    assert dill_globals._printable_marker(code)
    assert sorted(dill_globals.nestedglobals(code)) == sorted(DILLS(code))
    assert "A_GLOBAL" in DILLS(code)  # dill's parsing reads an attribute as a global: kept as it is


def test_the_providers_pickle_to_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.cluster_addons.teardown import _TeardownProvider
    from components.k3s.readiness import _ReadinessProvider

    providers = [_ReadinessProvider(), _TeardownProvider()]
    monkeypatch.setattr(dill.detect, "nestedglobals", DILLS)
    dills = [serialize_provider(p) for p in providers]
    assert dill_globals.install() is True
    assert dill.detect.nestedglobals is dill_globals.nestedglobals
    assert [serialize_provider(p) for p in providers] == dills
    assert all(len(pickled) > 10_000 for pickled in dills)
