"""Each resource's properties converted from protobuf once, not once per policy.

pulumi_policy's servicer (`_PolicyAnalyzerServicer.Analyze`, `AnalyzeStack`) converts the request's
properties with `json_format.MessageToDict` inside its loop over policies, so this pack, which runs
up to 24 resource and 9 stack policies, had every resource converted 30 to 40 times per preview,
most of the pack's CPU. The conversion is a function of the message's content alone: `install()`
gives the servicer a `json_format` whose `MessageToDict` remembers recent Structs by their serialized
bytes and hands out a fresh copy of the remembered result, so no caller can see another's changes (the
result is kept marshalled: `marshal.loads` builds the copy in C, at half the cost of walking it).
Everything else the servicer asks of `json_format` is the real module's.

`policies/__main__.py` installs it in the pack's process; `tests/policies/test_conversion.py` checks
that the pack answers every request of the dev and prod previews the same with and without it.
"""

from __future__ import annotations

import marshal
from collections import OrderedDict
from typing import Any

import pulumi_policy.policy
from google.protobuf import json_format, struct_pb2

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
        return copy

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


def install() -> bool:
    """Give pulumi_policy's servicer the remembering converter; False (and nothing changed) when the SDK
    no longer converts through its module-level `json_format` (tests/policies/test_conversion.py fails
    then, so the change is noticed)."""
    if getattr(pulumi_policy.policy, "json_format", None) is not json_format:
        return False
    pulumi_policy.policy.json_format = RememberingJsonFormat()
    return True
