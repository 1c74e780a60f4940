"""The provider SDKs loaded lean (offline/lean_imports.py) give the Pulumi SDK the same classes: the
same property names and the same resolved types, which decide how inputs are serialized and outputs
typed."""

from __future__ import annotations

import json

from .fresh_interpreter import fresh_python

_DUMP = """
import json, sys, typing
if sys.argv[1] == "lean":
    import offline  # installs the hook before any provider SDK is imported
import pulumi
from pulumi import _types
import pulumi_hcloud, pulumi_kubernetes.apps.v1, pulumi_kubernetes.core.v1, pulumi_kubernetes.meta.v1
import pulumi_kubernetes.networking.v1, pulumi_random, pulumi_tls
modules = [pulumi_hcloud, pulumi_kubernetes.apps.v1, pulumi_kubernetes.core.v1, pulumi_kubernetes.meta.v1,
           pulumi_kubernetes.networking.v1, pulumi_random, pulumi_tls]
loaders = [getattr(m.__spec__.loader, "loader", m.__spec__.loader) for m in modules]  # under LazyLoader
lean = sum(type(loader).__name__ == "_LeanLoader" for loader in loaders)
sdks = {"pulumi_hcloud", "pulumi_kubernetes", "pulumi_random", "pulumi_tls"}
classes = {}
exported = {}
for module in modules:
    names = sorted(dir(module))
    exported[module.__name__] = [[n, typing.is_typeddict(getattr(module, n))] for n in names]
    for name in names:
        cls = getattr(module, name)
        if not isinstance(cls, type) or cls.__module__.split(".")[0] not in sdks:
            continue
        if _types.is_input_type(cls) or _types.is_output_type(cls) or issubclass(cls, pulumi.Resource):
            props = [(p, n) for p, n, _ in _types._py_properties(cls)]
            hints = {k: repr(v) for k, v in _types._types_from_py_properties(cls).items()}
            classes[f"{module.__name__}.{name}"] = [props, hints]
print(json.dumps({"lean": lean, "classes": classes, "exported": exported}, sort_keys=True))
"""


def _dump(mode: str) -> dict:
    return json.loads(fresh_python(_DUMP, mode))


def test_lean_modules_give_the_sdk_the_same_classes() -> None:
    plain, lean = _dump("plain"), _dump("lean")
    assert (plain["lean"], lean["lean"]) == (0, 7), "the hook must load (only) the lean run's modules"
    assert len(plain["classes"]) > 800
    assert lean["classes"] == plain["classes"]
    # every name is still there, and a TypedDict is still a TypedDict (the SDK drops those from
    # unions), although the lean ones have no fields
    assert sum(typed for names in plain["exported"].values() for _, typed in names) > 400
    assert lean["exported"] == plain["exported"]


def test_requests_is_loaded_only_when_used() -> None:
    """pulumi_kubernetes.yaml imports requests for manifests at URLs, which the program never reads."""
    probe = (
        "import sys, offline, pulumi_kubernetes.helm.v3\n"
        "before = type(sys.modules['requests']).__name__, 'urllib3' in sys.modules\n"
        "import requests; requests.get\n"
        "print(before, 'urllib3' in sys.modules)"
    )
    assert fresh_python(probe).strip() == "('_LazyModule', False) True"
