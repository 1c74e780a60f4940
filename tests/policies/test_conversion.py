"""The pack converts each resource's properties once (platform_security/conversion.py), configures the
runtime once per thread (platform_security/runtime_settings.py), wraps properties as policies read
them (platform_security/unknown_proxy.py), and answers every request of the dev, prod and fresh prod
previews exactly as pulumi_policy does on its own."""

from __future__ import annotations

import os
from collections.abc import Callable

import pulumi_policy.policy
import pytest
from google.protobuf import json_format
from platform_security import conversion, runtime_settings, unknown_proxy
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy.policy import _PolicyAnalyzerServicer

from offline.policy import messages
from offline.program import ProgramRun, run_program
from offline.wire import secret

from .policy_wire import Pack, load_config


def _answers(run: ProgramRun) -> list[bytes]:
    """Every Remediate, Analyze and AnalyzeStack answer of the pack, configured for the run's stack
    (serialized: the comparison sees every field)."""
    pack = Pack(load_config(run.settings.stack))
    by_urn = {r.urn: r for r in run.resources}
    answers = []
    for resource in run.resources:
        request = messages.analyze_request(resource, resource.inputs, by_urn)
        answers.append(pack.servicer.Remediate(request, None).SerializeToString(deterministic=True))
        answers.append(pack.servicer.Analyze(request, None).SerializeToString(deterministic=True))
    stack = messages.analyze_stack_request(run.resources)
    answers.append(pack.servicer.AnalyzeStack(stack, None).SerializeToString(deterministic=True))
    return answers


@pytest.fixture(scope="module")
def fresh_prod_run() -> ProgramRun:
    """A new stack's preview: unknown values everywhere, so the proxies' unknown checks are exercised."""
    return run_program("prod", fresh=True)


@pytest.mark.parametrize("run_fixture", ["dev_run", "prod_run", "fresh_prod_run"])
def test_the_pack_answers_the_same_with_its_speed_ups_installed(
    run_fixture: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    run: ProgramRun = request.getfixturevalue(run_fixture)
    plain = _answers(run)
    stack_answer = proto.AnalyzeResponse.FromString(plain[-1])
    findings = sum(len(proto.AnalyzeResponse.FromString(a).diagnostics) for a in plain[1:-1:2])
    assert findings + len(stack_answer.diagnostics) > 0  # the pack has something to say about each stack
    remembering = conversion.RememberingJsonFormat()
    calls: list[int] = []
    convert: Callable[..., dict] = remembering.MessageToDict

    def counted(message: object, **options: object) -> dict:
        calls.append(1)
        return convert(message, **options)

    monkeypatch.setattr(remembering, "MessageToDict", counted)
    monkeypatch.setattr(pulumi_policy.policy, "json_format", remembering)
    monkeypatch.setattr(pulumi_policy.policy, "deserialize_properties", remembering.deserialize_properties)
    walked: list[int] = []
    walk = conversion.deserialize_properties

    def counted_walk(props: dict, proxy_secrets: bool = False) -> dict:
        walked.append(1)
        return walk(props, proxy_secrets)

    monkeypatch.setattr(conversion, "deserialize_properties", counted_walk)
    configure = _PolicyAnalyzerServicer._configure_runtime_settings
    configured: list[int] = []

    def counted_configure(servicer: _PolicyAnalyzerServicer) -> None:
        configured.append(1)
        configure(servicer)

    monkeypatch.setattr(_PolicyAnalyzerServicer, "_configure_runtime_settings", counted_configure)
    assert runtime_settings.install() is True
    sdk_proxy = pulumi_policy.policy.unknown_checking_proxy
    monkeypatch.setattr(pulumi_policy.policy, "unknown_checking_proxy", sdk_proxy)
    assert unknown_proxy.install() is True
    assert _answers(run) == plain
    assert len(calls) > 10 * len(run.resources)  # the servicer converts per policy: the cache is used
    assert len(walked) < 0.7 * len(calls)  # conversions that hold no secret are not walked again
    assert configured == [1]  # one thread, one environment: configured once, not 2 x resources + 1


def test_install_finds_the_servicers_converter(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the pinned pulumi_policy the pack's process gets the remembering converter; an SDK that
    stopped converting through its module's `json_format` fails here instead of silently going slow."""
    monkeypatch.setattr(pulumi_policy.policy, "json_format", json_format)
    monkeypatch.setattr(pulumi_policy.policy, "deserialize_properties", conversion.deserialize_properties)
    assert conversion.install() is True
    remembering = pulumi_policy.policy.json_format
    assert isinstance(remembering, conversion.RememberingJsonFormat)
    assert pulumi_policy.policy.deserialize_properties == remembering.deserialize_properties


def test_a_plain_copy_is_not_walked_again_and_anything_else_is() -> None:
    converter = conversion.RememberingJsonFormat()
    plain = converter.MessageToDict(messages.to_struct({"name": "web", "ports": [80]}))
    assert converter.deserialize_properties(plain) is plain  # the copy just handed out, no signature
    other = {"name": "web"}
    assert converter.deserialize_properties(other) is not other  # not the one handed out: the SDK's walk
    with_secret = converter.MessageToDict(messages.to_struct({"token": secret("s3cr3t")}))
    assert converter.deserialize_properties(with_secret) == {"token": "s3cr3t"}  # unwrapped by the SDK
    again = converter.MessageToDict(messages.to_struct({"name": "web", "ports": [80]}))
    assert converter.deserialize_properties(again, True) is not again  # Remediate's: always the SDK's


def test_each_caller_gets_its_own_copy() -> None:
    converter = conversion.RememberingJsonFormat()
    struct = messages.to_struct({"spec": {"ports": [80, 443]}, "name": "web"})
    first = converter.MessageToDict(struct)
    first["spec"]["ports"].append(8080)
    second = converter.MessageToDict(struct)
    assert second == {"spec": {"ports": [80, 443]}, "name": "web"}
    assert second["spec"] is not first["spec"]


def test_the_runtime_is_configured_again_when_its_environment_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str | None] = []
    monkeypatch.setattr(
        _PolicyAnalyzerServicer,
        "_configure_runtime_settings",
        lambda servicer: seen.append(os.environ.get("PULUMI_STACK")),
    )
    assert runtime_settings.install() is True
    servicer = Pack().servicer
    for stack in ("dev", "dev", "prod", "prod", "dev"):
        monkeypatch.setenv("PULUMI_STACK", stack)
        servicer._configure_runtime_settings()
    assert seen == ["dev", "prod", "dev"]
