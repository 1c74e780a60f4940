"""The pack's lazy unknown-checking proxy (platform_security/unknown_proxy.py) behaves as the SDK's own
(`pulumi_policy.proxy.unknown_checking_proxy`, the oracle) for every way a policy can read properties."""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi_policy.policy
import pytest
from platform_security import unknown_proxy
from pulumi_policy.deserialize import serialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
    unknown_checking_proxy,
)
from pulumi_policy.secret import secrets_preserving_proxy

PROPERTIES: dict[str, Any] = {
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "ports": [{"port": 80.0}, {"port": UNKNOWN_NUMBER_VALUE}, UNKNOWN_STRING_VALUE],
        "matrix": [[1.0, 2.0], [UNKNOWN_STRING_VALUE]],
        "empty": {},
    },
    "status": UNKNOWN_OBJECT_VALUE,
}

Read = Callable[[Any], Any]
READS: dict[str, Read] = {
    "a known leaf": lambda p: p["metadata"]["labels"]["app"],
    "an unknown leaf deep in a list": lambda p: p["spec"]["ports"][1]["port"],
    "an unknown element": lambda p: p["spec"]["ports"][2],
    "an unknown element from the end": lambda p: p["spec"]["ports"][-1],
    "a child reached from the end": lambda p: p["spec"]["ports"][-2]["port"],
    "an unknown object": lambda p: p["status"],
    "a missing key": lambda p: p["spec"]["nope"],
    "an index past the end": lambda p: p["spec"]["ports"][3],
    "an index before the start": lambda p: p["spec"]["ports"][-4],
    "a string index into a list": lambda p: p["spec"]["ports"]["0"],
    "a slice": lambda p: p["spec"]["ports"][0:3],
    "through a slice": lambda p: p["spec"]["ports"][1:][0]["port"],
    "nested lists": lambda p: p["spec"]["matrix"][1][0],
    "keys, length, membership": lambda p: (list(p), len(p["spec"]), "spec" in p, "nope" in p),
    "membership of an unknown": lambda p: "status" in p,
    "get with a default": lambda p: (p.get("nope", 7), p["spec"].get("empty")),
    "items of a known object": lambda p: dict(p["metadata"]["labels"].items()),
    "items reaching an unknown": lambda p: dict(p.items()),
    "iterating a list": lambda p: [len(x) for x in p["spec"]["matrix"][:1]],
    "iterating into an unknown": lambda p: list(p["spec"]["ports"]),
    "the same read twice": lambda p: (p["spec"] is p["spec"], p["spec"]["ports"][0] is p["spec"]["ports"][0]),
    "a write, then a read": lambda p: (p.__setitem__("extra", {"x": 1.0}), p["extra"])[1],
    "equality of objects": lambda p: p["metadata"] == {"name": "web", "labels": {"app": "web"}},
    "the proxies' types": lambda p: (
        isinstance(p, Mapping),
        isinstance(p, _DictProxy),
        isinstance(p["spec"]["ports"], Sequence),
        isinstance(p["spec"]["ports"], _ListProxy),
    ),
    "the serialized properties after a read": lambda p: (p["spec"]["ports"][0], serialize_properties(p))[1],
}


def _plain(value: Any) -> Any:
    """What a policy can see of a value: proxies read element by element, unknowns as their error."""
    if isinstance(value, Mapping):
        return {key: _observed(functools.partial(operator.getitem, value, key)) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_observed(functools.partial(operator.getitem, value, i)) for i in range(len(value))]
    return value


def _observed(read: Callable[[], Any]) -> Any:
    try:
        return ("value", _plain(read()))
    except UnknownValueError as err:
        return ("unknown", err.message, err.props, err.unknown_type_sentinel)
    except (KeyError, IndexError, TypeError) as err:
        return (type(err).__name__, str(err))


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_policy_reads_the_same_through_the_lazy_proxy(read: Read) -> None:
    sdk = unknown_checking_proxy(copy.deepcopy(PROPERTIES))
    lazy = unknown_proxy.lazy_unknown_checking_proxy(copy.deepcopy(PROPERTIES))
    assert _observed(lambda: read(lazy)) == _observed(lambda: read(sdk))


def test_what_is_not_a_dict_or_list_is_left_as_the_sdk_leaves_it() -> None:
    """`Remediate` hands the proxy the secrets-preserving proxy of the properties, which the SDK's proxy
    returns unwrapped (the pack's user-data remediation reads its raw target)."""
    secrets = secrets_preserving_proxy(copy.deepcopy(PROPERTIES))
    assert unknown_checking_proxy(secrets) is secrets
    assert unknown_proxy.lazy_unknown_checking_proxy(secrets) is secrets


def test_the_error_names_the_path_of_the_unknown_value() -> None:
    """A literal from the SDK's message format, not only agreement with it."""
    lazy = unknown_proxy.lazy_unknown_checking_proxy(copy.deepcopy(PROPERTIES))
    with pytest.raises(UnknownValueError) as raised:
        lazy["spec"]["ports"][-2]["port"]
    assert raised.value.message == "number value at .spec.ports.1.port can't be known during preview"


def test_a_write_stays_in_the_tree_it_was_made_in() -> None:
    source = copy.deepcopy(PROPERTIES)
    first = unknown_proxy.lazy_unknown_checking_proxy(copy.deepcopy(source))
    first["metadata"]["labels"]["app"] = "changed"
    second = unknown_proxy.lazy_unknown_checking_proxy(copy.deepcopy(source))
    assert second["metadata"]["labels"]["app"] == "web"
    assert source == PROPERTIES


def test_install_gives_the_servicer_the_lazy_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the pinned pulumi_policy the pack's process gets the lazy proxy; an SDK that stopped wrapping
    through its module's `unknown_checking_proxy` fails here instead of silently going slow."""
    monkeypatch.setattr(pulumi_policy.policy, "unknown_checking_proxy", unknown_checking_proxy)
    assert unknown_proxy.install() is True
    assert pulumi_policy.policy.unknown_checking_proxy is unknown_proxy.lazy_unknown_checking_proxy
