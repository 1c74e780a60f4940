"""The provider SDKs loaded lean (offline/lean_imports.py), with their property types resolved in one
step (offline/type_hints.py), give the Pulumi SDK the same classes: the same property names and the
same resolved types, which decide how inputs are serialized and outputs typed."""

from __future__ import annotations

import json

from .fresh_interpreter import fresh_python

_DUMP = """
import json, sys, typing
resolved_in_one_step = 0
if sys.argv[1] == "lean":
    import offline  # installs the hook before any provider SDK is imported
    from offline import type_hints
    assert type_hints.install()
import pulumi
from pulumi import _types
import pulumi_hcloud, pulumi_kubernetes.apps.v1, pulumi_kubernetes.core.v1, pulumi_kubernetes.meta.v1
import pulumi_kubernetes.networking.v1, pulumi_random, pulumi_tls
modules = [pulumi_hcloud, pulumi_kubernetes.apps.v1, pulumi_kubernetes.core.v1, pulumi_kubernetes.meta.v1,
           pulumi_kubernetes.networking.v1, pulumi_random, pulumi_tls]
loaders = [getattr(m.__spec__.loader, "loader", m.__spec__.loader) for m in modules]  # under LazyLoader
lean = sum(type(loader).__name__ == "_LeanLoader" for loader in loaders)
sdks = {"pulumi_hcloud", "pulumi_kubernetes", "pulumi_random", "pulumi_tls"}
def what(value):
    # a name's value as far as a star import decides it: its kind, where it is defined, and whether
    # the SDK takes it for a TypedDict (it drops those from unions)
    where = getattr(value, "__module__", None) or getattr(value, "__name__", "")
    return [type(value).__name__, where, getattr(value, "__qualname__", ""), typing.is_typeddict(value)]
classes = {}
exported = {}
for module in modules:
    names = sorted(dir(module))
    # module dunders (__loader__ is the lean one) by name only
    exported[module.__name__] = [[n, [] if n.startswith("__") else what(getattr(module, n))] for n in names]
    for name in names:
        cls = getattr(module, name)
        if not isinstance(cls, type) or cls.__module__.split(".")[0] not in sdks:
            continue
        if _types.is_input_type(cls) or _types.is_output_type(cls) or issubclass(cls, pulumi.Resource):
            props = [(p, n) for p, n, _ in _types._py_properties(cls)]
            hints = {k: repr(v) for k, v in _types._types_from_py_properties(cls).items()}
            classes[f"{module.__name__}.{name}"] = [props, hints]
if sys.argv[1] == "lean":
    resolved_in_one_step = len(type_hints._RESOLVED)
result = {"lean": lean, "classes": classes, "exported": exported, "one_step": resolved_in_one_step}
print(json.dumps(result, sort_keys=True))
"""


def _dump(mode: str) -> dict:
    return json.loads(fresh_python(_DUMP, mode))


def test_lean_modules_give_the_sdk_the_same_classes() -> None:
    plain, lean = _dump("plain"), _dump("lean")
    assert (plain["lean"], lean["lean"]) == (0, 7), "the hook must load (only) the lean run's modules"
    assert (plain["one_step"], lean["one_step"] > 500) == (0, True), "the one-step path must be taken"
    assert len(plain["classes"]) > 800
    assert lean["classes"] == plain["classes"]
    # every name is still there, and a TypedDict is still a TypedDict (the SDK drops those from
    # unions), although the lean ones have no fields
    assert sum(kind[-1] for names in plain["exported"].values() for _, kind in names if kind) > 400
    assert lean["exported"] == plain["exported"]


def test_requests_and_the_automation_api_are_loaded_only_when_used() -> None:
    """pulumi_kubernetes.yaml imports requests for manifests at URLs, which the program never reads; the
    Pulumi SDK imports its Automation API, which a program never calls."""
    probe = (
        "import sys, offline, pulumi_kubernetes.helm.v3\n"
        "lazy = lambda name: type(sys.modules[name]).__name__\n"
        "before = lazy('requests'), 'urllib3' in sys.modules, lazy('pulumi.automation')\n"
        "before += ('pulumi.automation._local_workspace' in sys.modules,)\n"
        "import requests, pulumi; requests.get, pulumi.automation.LocalWorkspace\n"
        "print(before, 'urllib3' in sys.modules, 'pulumi.automation._local_workspace' in sys.modules)"
    )
    assert fresh_python(probe).strip() == "('_LazyModule', False, '_LazyModule', False) True True"


def test_a_package_imports_a_resource_module_when_one_of_its_names_is_used() -> None:
    """A program that creates ConfigMaps and Servers does not pay for Bindings and Firewalls."""
    probe = (
        "import sys, offline, pulumi_kubernetes.core.v1 as core, pulumi_hcloud as hcloud\n"
        "core.ConfigMap, hcloud.Server\n"
        "loaded = lambda m: m in sys.modules\n"
        "print(loaded('pulumi_kubernetes.core.v1.ConfigMap'), loaded('pulumi_kubernetes.core.v1.Binding'),\n"
        "      loaded('pulumi_hcloud.server'), loaded('pulumi_hcloud.firewall'))\n"
        "core.Binding, hcloud.firewall.Firewall\n"
        "print(loaded('pulumi_kubernetes.core.v1.Binding'), loaded('pulumi_hcloud.firewall'))"
    )
    assert fresh_python(probe).split("\n")[:2] == ["True False True False", "True True"]
