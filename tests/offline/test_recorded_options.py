"""The recording monitor keeps a registration's resource options as `json_format` renders the whole
request, while converting only the options (offline/program.py `_options`)."""

from __future__ import annotations

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import resource_pb2

from offline.program import _OPTIONS, _options


def test_options_are_rendered_as_the_whole_request_renders_them() -> None:
    properties = struct_pb2.Struct()
    properties.update({"metadata": {"name": "web"}, "data": {"key": "value" * 100}})
    request = resource_pb2.RegisterResourceRequest(
        type="kubernetes:core/v1:ConfigMap",
        name="web",
        custom=True,
        object=properties,
        dependencies=["urn:pulumi:prod::platform::a::b"],
        customTimeouts=resource_pb2.RegisterResourceRequest.CustomTimeouts(create="5m", delete="1m"),
        replaceOnChanges=["data"],
        retainOnDelete=True,
        deletedWith="urn:pulumi:prod::platform::ns::ns",
        version="4.23.0",
        importId="",
    )
    whole = {key: value for key, value in json_format.MessageToDict(request).items() if key in _OPTIONS}
    assert len(whole) == 5  # customTimeouts, replaceOnChanges, retainOnDelete, deletedWith, version
    assert _options(request) == whole
