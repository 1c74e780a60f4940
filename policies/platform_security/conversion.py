"""Each resource's properties converted from protobuf once, not once per policy.

pulumi_policy's servicer (`_PolicyAnalyzerServicer.Analyze`, `AnalyzeStack`) converts the request's
properties with `json_format.MessageToDict` inside its loop over policies, so this pack, which runs
up to 24 resource and 9 stack policies, had every resource converted 30 to 40 times per preview,
most of the pack's CPU. The conversion is a function of the message's content alone: `install()`
gives the servicer a `json_format` whose `MessageToDict` remembers recent Structs by their serialized
bytes and hands out a fresh copy of the remembered result, so no caller can see another's changes (the
result is kept marshalled: `marshal.loads` builds the copy in C, at half the cost of walking it).
Everything else the servicer asks of `json_format` is the real module's.

The servicer then hands each conversion to `deserialize_properties`, which walks it to turn the
engine's special objects (secrets, assets, archives, marked by the signature key) into Python values
and otherwise rebuilds the same dicts and lists. A Struct whose bytes hold no signature key has none
of them, so for the copy just handed out `install()` lets the servicer's `deserialize_properties`
return it as it is (the copy is the caller's own; nothing else refers to it).

`policies/__main__.py` installs it in the pack's process; `tests/policies/test_conversion.py` checks
that the pack answers every request of the dev and prod previews the same with and without it.
"""

from __future__ import annotations

import marshal
import threading
from collections import OrderedDict
from typing import Any

import pulumi_policy.policy
from google.protobuf import json_format, struct_pb2
from pulumi_policy.deserialize import SPECIAL_SIG_KEY, deserialize_properties

_SIGNATURE = SPECIAL_SIG_KEY.encode()

_REMEMBERED = 512
"""Structs kept: more than the resources a request carries, so AnalyzeStack's loop over stack policies
converts each resource once."""


class RememberingJsonFormat:
    """`google.protobuf.json_format` for pulumi_policy's servicer, converting each Struct once."""

    def __init__(self, size: int = _REMEMBERED) -> None:
        self._size = size
        self._converted: OrderedDict[bytes, bytes] = OrderedDict()
        """Serialized Struct -> its conversion, marshalled (JSON values only: dicts, lists, str, float,
        bool, None, all of which marshal round-trips)."""
        self._last_plain = threading.local()
        """Per server thread: the copy last handed out, when its Struct holds no signature key."""

    def MessageToDict(self, message: Any, **options: Any) -> dict[str, Any]:  # noqa: N802 (json_format's name)
        if options or not isinstance(message, struct_pb2.Struct):
            return json_format.MessageToDict(message, **options)
        key = message.SerializeToString(deterministic=True)
        converted = self._converted.get(key)
        if converted is None:
            converted = marshal.dumps(json_format.MessageToDict(message))
            self._converted[key] = converted
            if len(self._converted) > self._size:
                self._converted.popitem(last=False)
        else:
            self._converted.move_to_end(key)
        copy: dict[str, Any] = marshal.loads(converted)
        self._last_plain.value = None if _SIGNATURE in key else copy
        return copy

    def deserialize_properties(self, props: dict[str, Any], proxy_secrets: bool = False) -> Any:
        """pulumi_policy's `deserialize_properties`, skipped for the plain copy just handed out."""
        plain, self._last_plain.value = getattr(self._last_plain, "value", None), None
        if props is plain and not proxy_secrets:
            return props
        return deserialize_properties(props, proxy_secrets)

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


def install() -> bool:
    """Give pulumi_policy's servicer the remembering converter; False (and nothing changed) when the SDK
    no longer converts through its module-level `json_format` and `deserialize_properties`
    (tests/policies/test_conversion.py fails then, so the change is noticed)."""
    if getattr(pulumi_policy.policy, "json_format", None) is not json_format:
        return False
    if getattr(pulumi_policy.policy, "deserialize_properties", None) is not deserialize_properties:
        return False
    remembering = RememberingJsonFormat()
    pulumi_policy.policy.json_format = remembering
    pulumi_policy.policy.deserialize_properties = remembering.deserialize_properties
    return True
