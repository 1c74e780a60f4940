"""What Hetzner Cloud offers: locations and server types, used to validate config and size things.

The figures (vCPUs, RAM in GiB, local disk in GB, architecture, where a type is sold) are Hetzner's
published specifications as listed on hetzner.com/cloud and by `hcloud server-type list` in 2026.
Prices live apart, in the offline preview's dated price table, because they change more often.
"""

from __future__ import annotations

from dataclasses import dataclass

EU_LOCATIONS = ("fsn1", "nbg1", "hel1")
US_LOCATIONS = ("ash", "hil")
ALL_LOCATIONS = (*EU_LOCATIONS, *US_LOCATIONS, "sin")

NETWORK_ZONES: dict[str, str] = {
    "fsn1": "eu-central",
    "nbg1": "eu-central",
    "hel1": "eu-central",
    "ash": "us-east",
    "hil": "us-west",
    "sin": "ap-southeast",
}


@dataclass(frozen=True)
class ServerType:
    name: str
    vcpus: int
    memory_gib: int
    disk_gb: int
    arch: str
    dedicated_cpu: bool
    locations: tuple[str, ...]


def _family(
    names_and_sizes: list[tuple[str, int, int, int]],
    arch: str,
    dedicated: bool,
    locations: tuple[str, ...],
) -> dict[str, ServerType]:
    return {
        name: ServerType(name, vcpus, mem, disk, arch, dedicated, locations)
        for name, vcpus, mem, disk in names_and_sizes
    }


SERVER_TYPES: dict[str, ServerType] = {
    # Cost-optimised shared vCPU (Intel/AMD), EU only; the CX generation introduced in October 2025.
    **_family(
        [("cx23", 2, 4, 40), ("cx33", 4, 8, 80), ("cx43", 8, 16, 160), ("cx53", 16, 32, 320)],
        "x86",
        False,
        EU_LOCATIONS,
    ),
    # Shared vCPU (Ampere Altra, arm64), EU only.
    **_family(
        [("cax11", 2, 4, 40), ("cax21", 4, 8, 80), ("cax31", 8, 16, 160), ("cax41", 16, 32, 320)],
        "arm",
        False,
        EU_LOCATIONS,
    ),
    # Regular-performance shared vCPU (AMD), all locations.
    **_family(
        [
            ("cpx11", 2, 2, 40),
            ("cpx21", 3, 4, 80),
            ("cpx31", 4, 8, 160),
            ("cpx41", 8, 16, 240),
            ("cpx51", 16, 32, 360),
        ],
        "x86",
        False,
        ALL_LOCATIONS,
    ),
    # Dedicated vCPU (AMD), all locations.
    **_family(
        [
            ("ccx13", 2, 8, 80),
            ("ccx23", 4, 16, 160),
            ("ccx33", 8, 32, 240),
            ("ccx43", 16, 64, 360),
            ("ccx53", 32, 128, 600),
            ("ccx63", 48, 192, 960),
        ],
        "x86",
        True,
        ALL_LOCATIONS,
    ),
}


def check_server_type(value: str) -> str:
    """Validator: `value` is a server type Hetzner sells (see SERVER_TYPES)."""
    if value not in SERVER_TYPES:
        allowed = ", ".join(sorted(SERVER_TYPES))
        raise ValueError(f"unknown Hetzner server type {value!r}; allowed: {allowed}")
    return value
