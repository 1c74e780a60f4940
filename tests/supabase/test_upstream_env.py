"""Every container's env var names are upstream's for that service in the pinned release.

The expected lists (tests/supabase/data/upstream_env.yaml) are copied by hand from the compose files of
the release in components/versions.py; a deliberate difference must be declared on the service spec
(`added_env` / `dropped_env`) with its reason, so it shows up in review.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest
import yaml

from components import versions
from components.supabase.services import self_hosted_services
from components.supabase.spec import ServiceSpec
from tests.pending_outputs import outputs_event_loop
from tests.supabase.settings import DATABASE, FULL_CONFIG, OBJECTS

UPSTREAM = yaml.safe_load((Path(__file__).parent / "data" / "upstream_env.yaml").read_text())
SERVICES = sorted(UPSTREAM["services"])


@functools.cache
def specs() -> dict[str, ServiceSpec]:
    """Built when a test runs, never at import: building them makes Pulumi Outputs, and Outputs made
    while pytest collects outlive their event loop and stall the next program run in the session."""
    with outputs_event_loop():
        built = self_hosted_services(FULL_CONFIG, DATABASE, OBJECTS, ("10.42.0.0/16",))
    return {spec.name: spec for spec in built}


def upstream_names(service: str) -> set[str]:
    lists = UPSTREAM["services"][service]
    return set(lists["set"]) | set(lists.get("s3_backend", []))


def env_problems(spec: ServiceSpec, upstream: set[str]) -> list[str]:
    ours, added, dropped = set(spec.env), set(spec.added_env), set(spec.dropped_env)
    problems = [
        f"{name}: not set by upstream and not declared in added_env"
        for name in sorted(ours - upstream - added)
    ]
    problems += [
        f"{name}: upstream sets it, we don't, and dropped_env does not say why"
        for name in sorted(upstream - ours - dropped)
    ]
    problems += [f"{name}: declared added but upstream sets it too" for name in sorted(added & upstream)]
    problems += [
        f"{name}: declared dropped but upstream does not set it" for name in sorted(dropped - upstream)
    ]
    problems += [f"{name}: declared dropped but still set" for name in sorted(dropped & ours)]
    problems += [
        f"{name}: no reason given"
        for name, why in {**spec.added_env, **spec.dropped_env}.items()
        if not why.strip()
    ]
    return problems


def test_expected_lists_are_for_the_pinned_release() -> None:
    assert UPSTREAM["release"] == versions.SUPABASE_RELEASE
    assert set(UPSTREAM["services"]) == set(versions.SUPABASE_IMAGES) == set(specs())


@pytest.mark.parametrize("service", SERVICES)
def test_env_names_match_upstream(service: str) -> None:
    assert env_problems(specs()[service], upstream_names(service)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_the_pinned_one(service: str) -> None:
    assert specs()[service].image == versions.SUPABASE_IMAGES[service]


def test_a_misspelled_or_silently_dropped_variable_is_caught() -> None:
    auth = specs()["auth"]
    env = {**auth.env, "GOTRUE_SITEURL": "https://app.example.com"}
    del env["GOTRUE_SITE_URL"]
    problems = env_problems(dataclasses.replace(auth, env=env), upstream_names("auth"))
    assert problems == [
        "GOTRUE_SITEURL: not set by upstream and not declared in added_env",
        "GOTRUE_SITE_URL: upstream sets it, we don't, and dropped_env does not say why",
    ]
