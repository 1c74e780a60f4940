"""Runs the real `__main__.py` for one stack under the mocks and records what the engine would get."""

from __future__ import annotations

import asyncio
import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_in_stack

from . import dill_globals, type_hints
from .mocks import PlatformMocks
from .project import PROJECT_DIR
from .registration import Registration
from .stack_file import StackSettings, read_stack
from .wire import UNKNOWN

type_hints.install()  # property types resolved in one step each (offline/type_hints.py)
dill_globals.install()  # dynamic providers pickled without printing their bytecode (offline/dill_globals.py)


@dataclass
class ProgramRun:
    settings: StackSettings
    resources: list[Registration]
    outputs: dict[str, Any]
    """Stack outputs in wire form (secrets enveloped)."""
    secret_values: set[str]

    def of_type(self, typ: str) -> list[Registration]:
        return sorted((r for r in self.resources if r.type == typ), key=lambda r: r.name)

    def by_name(self, name: str) -> Registration:
        (match,) = [r for r in self.resources if r.name == name]
        return match


def _has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return value == UNKNOWN


_OPTIONS = (
    "customTimeouts",
    "replaceOnChanges",
    "retainOnDelete",
    "deletedWith",
    "replaceWith",
    "replacementTrigger",
    "importId",
    "hideDiffs",
    "version",
    "pluginDownloadURL",
)
"""Resource options of a RegisterResourceRequest (JSON names) recorded in `Registration.options`."""


def _options(request: Any) -> dict[str, Any]:
    """The request's `_OPTIONS` as `json_format.MessageToDict` names them, without converting the rest of
    the request (its properties are most of it, and converted once, as the inputs)."""
    options = type(request)()
    options.CopyFrom(request)
    for descriptor, _ in options.ListFields():
        if descriptor.json_name not in _OPTIONS:
            options.ClearField(descriptor.name)
    return json_format.MessageToDict(options)


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: PlatformMocks, on_register: Callable[[Registration], None] | None) -> None:
        super().__init__(mocks)
        self.on_register = on_register
        self.registrations: dict[str, Registration] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.unconfigured_providers: set[str] = set()
        """Kubernetes providers whose configuration is unknown in this (fresh) preview."""
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        provider_urn = request.provider.rsplit("::", 1)[0] if request.provider else ""
        unseen = request.type.startswith("kubernetes:") and provider_urn in self.unconfigured_providers
        if unseen:
            response = resource_pb2.RegisterResourceResponse(urn=response.urn, id="")
        inputs = json_format.MessageToDict(request.object)
        if request.type == "pulumi:providers:kubernetes" and _has_unknown(inputs):
            with self._lock:
                self.unconfigured_providers.add(response.urn)
        record = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            provider=request.provider,
            dependencies=list(request.dependencies),
            inputs=inputs,
            protect=bool(request.protect),
            ignore_changes=list(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            aliases=[json_format.MessageToDict(alias) for alias in request.aliases],
            options=_options(request),
            property_dependencies={
                key: list(deps.urns) for key, deps in request.propertyDependencies.items() if deps.urns
            },
            id=response.id,
            outputs=json_format.MessageToDict(response.object) if response.object else {},
            unseen=unseen,
        )
        with self._lock:
            self.registrations[response.urn] = record
            if self.on_register is not None:
                self.on_register(record)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.urn.split("::")[-2].endswith("pulumi:pulumi:Stack"):
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


class ProgramError(Exception):
    """The program failed; `registered` says what it had registered before failing."""

    def __init__(self, cause: BaseException, registered: list[Registration]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.registered = registered


def run_program(
    stack: str,
    project_dir: Path = PROJECT_DIR,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, str] | None = None,
    *,
    stand_in_missing_secrets: bool = True,
    fresh: bool = False,
    mocks: PlatformMocks | None = None,
) -> ProgramRun:
    """Run `__main__.py` for `stack` under the mocks (`fresh`: as the first preview of a new stack).

    `overrides` and `secret_overrides` map config paths (`cluster.agentPools[0].count`, or a bare key)
    to values for this run only; None removes a key (see offline.stack_file).
    Raises ProgramError when the program fails (a ConfigError, for one).
    """
    settings = read_stack(
        project_dir, stack, overrides, secret_overrides, stand_in_missing_secrets=stand_in_missing_secrets
    )
    return run_with_settings(settings, project_dir, fresh=fresh, mocks=mocks)


def run_with_settings(
    settings: StackSettings,
    project_dir: Path = PROJECT_DIR,
    *,
    fresh: bool = False,
    mocks: PlatformMocks | None = None,
    on_register: Callable[[Registration], None] | None = None,
) -> ProgramRun:
    """Run `__main__.py` with config already read (so a policy pack can be started with the same).

    `fresh` runs it in preview mode as the engine does for a stack that does not exist yet (see
    offline.mocks): provider-computed values unknown, Kubernetes resources under an unconfigured
    provider unseen. `mocks` replaces the default PlatformMocks (tests/refactor pins its stand-ins).
    `on_register` sees each registration as it is recorded, in order."""
    stack = settings.stack
    mocks = mocks or PlatformMocks(fresh=fresh)
    monitor = _RecordingMonitor(mocks, on_register)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stack_trace = pulumi_resource._get_stack_trace
    try:
        # For each registration the SDK walks the Python stack, reading every frame's source line, for
        # the source position the engine shows in diagnostics; the mocks never read it (nor does
        # Registration), and it costs a tenth of the run.
        pulumi_resource._get_stack_trace = source_pb2.StackTrace
        pulumi.runtime.set_mocks(mocks, project=settings.project, stack=stack, preview=fresh, monitor=monitor)
        pulumi.runtime.set_all_config(settings.config, settings.secret_keys)
        pulumi_settings.ROOT.set(None)  # run_in_stack makes the Stack resource, as the CLI's host does
        # Forget RPCs and Outputs left by code that ran outside a program (a test building a component
        # by hand): this run would otherwise wait for them forever, as pulumi.runtime.test also knows.
        pulumi_settings.SETTINGS.rpc_manager.clear()
        pulumi_settings.SETTINGS.outputs.clear()
        main = str(project_dir / "__main__.py")

        def program() -> None:
            runpy.run_path(main, run_name="__main__")

        loop.run_until_complete(run_in_stack(program))
    except Exception as err:
        registered = [r for r in monitor.registrations.values() if r.type != "pulumi:pulumi:Stack"]
        raise ProgramError(err, registered) from err
    finally:
        pulumi_resource._get_stack_trace = stack_trace
        loop.close()
        asyncio.set_event_loop(asyncio.new_event_loop())  # callers after us may expect a current loop
    return ProgramRun(
        settings, list(monitor.registrations.values()), monitor.stack_outputs, mocks.secret_values
    )
