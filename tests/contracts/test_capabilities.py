"""Every Linux capability the program asks for, in its own objects and in any chart's values, is a name
the container runtime knows. Kubernetes names capabilities without the `CAP_` prefix; containerd adds the
prefix itself, so "CAP_KILL" becomes CAP_CAP_KILL, which runc drops as unknown: the container silently
runs without it. The list of valid names comes from util-linux's `setpriv --list-caps`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import pytest

from tests.contracts.charts import chart_releases
from tests.contracts.runs import STACKS, contract_run
from tests.k8s_schema import kubernetes_objects


@cache
def kernel_capabilities() -> frozenset[str]:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("setpriv not found: install util-linux (scripts/install-debian-tools.sh)")
    listed = subprocess.run([setpriv, "--list-caps"], capture_output=True, text=True, check=True).stdout
    return frozenset(name.upper() for name in listed.split())


def capability_names(document: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, name) of every entry of a `capabilities.add`/`.drop` list anywhere in a document."""
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key == "capabilities" and isinstance(value, Mapping):
                for verb in ("add", "drop"):
                    for name in value.get(verb) or []:
                        yield f"{where}.capabilities.{verb}", str(name)
            else:
                yield from capability_names(value, f"{where}.{key}" if where else str(key))
    elif isinstance(document, list):
        for index, item in enumerate(document):
            yield from capability_names(item, f"{where}[{index}]")


def unknown_capabilities(document: Any) -> list[str]:
    known = kernel_capabilities() | {"ALL"}
    return [f"{where}: {name}" for where, name in capability_names(document) if name not in known]


@pytest.mark.parametrize("stack", STACKS)
def test_every_capability_is_a_name_the_runtime_knows(stack: str) -> None:
    run = contract_run(stack)
    documents = {f"values of {r.resource}": r.values for r in chart_releases(run)}
    documents |= {f"object {name}": obj for name, obj in kubernetes_objects(run).items()}
    found = [name for doc in documents.values() for _, name in capability_names(doc)]
    assert "KILL" in found and "ALL" in found
    assert {
        name: unknown_capabilities(doc) for name, doc in documents.items() if unknown_capabilities(doc)
    } == {}


def test_the_cap_prefix_is_reported() -> None:
    assert "KILL" in kernel_capabilities()
    previous_kured = {"containerSecurityContext": {"capabilities": {"add": ["CAP_KILL"], "drop": ["ALL"]}}}
    assert unknown_capabilities(previous_kured) == ["containerSecurityContext.capabilities.add: CAP_KILL"]
