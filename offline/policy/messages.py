"""Registered resources to Analyzer messages, marshalled the way the engine marshals them.

The engine sends properties with `KeepUnknowns` and `KeepSecrets` (analyzer_plugin.go): secrets stay
as `{"4dabf…": "1b47…", "value": …}` maps inside the protobuf Struct and unknowns become the unknown
sentinel string; the pack's `deserialize_properties` turns them back into plain values and
`UnknownValueError`s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime.proto import analyzer_pb2

from ..registration import Registration
from ..wire import UNKNOWN


def wire_value(value: Any) -> Any:
    """A JSON-like value a protobuf Struct can hold; unknowns become the sentinel."""
    if isinstance(value, Unknown) or value is Unknown:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): wire_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to a policy pack: {value!r}")


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({key: wire_value(value) for key, value in properties.items()})
    return struct


def _options(resource: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        parent=resource.parent or "",
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def _provider(
    resource: Registration, by_urn: Mapping[str, Registration]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    urn = resource.provider_urn
    provider = by_urn.get(urn) if urn else None
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        urn=provider.urn, type=provider.type, name=provider.name, properties=to_struct(provider.inputs)
    )


def analyze_request(
    resource: Registration, properties: Mapping[str, Any], by_urn: Mapping[str, Registration]
) -> analyzer_pb2.AnalyzeRequest:
    """`Analyze`/`Remediate` see the resource's (checked) inputs."""
    request = analyzer_pb2.AnalyzeRequest(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        properties=to_struct(properties),
        options=_options(resource),
    )
    provider = _provider(resource, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_properties(resource: Registration) -> struct_pb2.Struct:
    """What `AnalyzeStack` sees of a resource's properties: its final outputs."""
    return to_struct(resource.final_outputs)


def analyze_stack_request(
    resources: Sequence[Registration], properties: Mapping[str, struct_pb2.Struct] | None = None
) -> analyzer_pb2.AnalyzeStackRequest:
    """`AnalyzeStack` sees every resource's final outputs, with parent and dependencies (`properties`:
    `stack_properties` of some resources, already made)."""
    by_urn = {r.urn: r for r in resources}
    made = properties or {}
    messages = []
    for resource in resources:
        message = analyzer_pb2.AnalyzerResource(
            urn=resource.urn,
            type=resource.type,
            name=resource.name,
            properties=made[resource.urn] if resource.urn in made else stack_properties(resource),
            options=_options(resource),
            parent=resource.parent or "",
            dependencies=list(resource.dependencies),
        )
        for key, urns in resource.property_dependencies.items():
            if urns:
                message.propertyDependencies[key].urns.extend(urns)
        provider = _provider(resource, by_urn)
        if provider is not None:
            message.provider.CopyFrom(provider)
        messages.append(message)
    return analyzer_pb2.AnalyzeStackRequest(resources=messages)
