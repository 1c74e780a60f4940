"""Traefik as k3s runs it: its chart values, from the HelmChartConfig k3s merges into its bundled chart (or
a Helm release of the chart), tell which entry points its Service exposes and whether HTTP redirects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from .framework import Subject
from .props import as_int, items, peek, str_map

HELM_CHART_CONFIG = "kubernetes:helm.cattle.io/v1:HelmChartConfig"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
PRIVATE_ANNOTATION = "load-balancer.hetzner.cloud/disable-public-network"
_DEFAULT_EXPOSED = {"web": 80, "websecure": 443}  # the chart exposes these two unless told otherwise


def traefik_values(subjects: list[Subject]) -> Iterator[tuple[Subject, Any]]:
    """(resource, values) for each Traefik configuration in the stack; unparsable YAML is skipped
    (k3s's Helm controller rejects it before it reaches the cluster)."""
    for s in subjects:
        if s.type == HELM_CHART_CONFIG and s.name == "traefik":
            values = peek(s.props, "spec", "valuesContent")
        elif s.type == HELM_RELEASE and peek(s.props, "chart") == "traefik":
            values = peek(s.props, "values")
        else:
            continue
        if isinstance(values, str):
            try:
                values = yaml.load(values, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                continue
        if isinstance(values, Mapping):
            yield s, values


def redirects_to_https(values: Any) -> bool:
    """Whether the values redirect the `web` entry point to `websecure` for every route (chart v39+
    `http.redirections`, v34-38 `redirections`, older `redirectTo`, or the static-config argument)."""
    web = peek(values, "ports", "web")
    if "websecure" in (
        peek(web, "http", "redirections", "entryPoint", "to"),
        peek(web, "redirections", "entryPoint", "to"),
    ):
        return True
    redirect_to = peek(web, "redirectTo")
    if redirect_to == "websecure" or peek(redirect_to, "port") == "websecure":
        return True
    arguments = [str(a).lower() for a in items(peek(values, "additionalArguments"))]
    return any("entrypoints.web.http.redirections.entrypoint.to=websecure" in a for a in arguments)


def service_is_public(values: Any) -> bool:
    """Traefik's Service becomes a Hetzner load balancer with a public interface unless it is not of
    type LoadBalancer or the Hetzner CCM is told to keep it off the public network."""
    if peek(values, "service", "type", default="LoadBalancer") != "LoadBalancer":
        return False
    annotations = str_map(peek(values, "service", "annotations"))
    return annotations.get(PRIVATE_ANNOTATION, "false").lower() != "true"


def exposed_ports(values: Any) -> Iterator[tuple[str, int]]:
    """(entry point, port on the load balancer) of every entry point the Service exposes."""
    for name, spec in (peek(values, "ports") or {}).items():
        expose = peek(spec, "expose")
        if isinstance(expose, Mapping):
            expose = peek(expose, "default")
        if expose is None:
            expose = name in _DEFAULT_EXPOSED
        if expose is True:
            port = as_int(peek(spec, "exposedPort")) or _DEFAULT_EXPOSED.get(name)
            port = port or as_int(peek(spec, "port"))
            if port is not None:
                yield name, port
