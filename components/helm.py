"""Installs a pinned Helm chart: every chart the program installs goes through `release`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import release_timeouts
from .versions import ChartPin


def release(
    resource_name: str,
    pin: ChartPin,
    *,
    namespace: str,
    values: pulumi.Input[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
    release_name: str | None = None,
    timeout: int = release_timeouts.SMALL,
) -> k8s.helm.v3.Release:
    """A Helm release of `pin` named `release_name` (the chart's name unless given) in `namespace`.

    `timeout`: seconds `pulumi up` waits for the release to be ready (see release_timeouts)."""
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name or pin.chart,
        chart=pin.chart,
        version=pin.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repo),
        namespace=namespace,
        timeout=timeout,
        values=values,
        opts=opts,
    )
