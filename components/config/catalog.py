"""What Hetzner Cloud offers: locations and server types, used to validate config and size things.

The figures (vCPUs, RAM in GiB, local disk in GB, architecture, where a type is sold) are Hetzner's
published specifications as listed on hetzner.com/cloud and by `hcloud server-type list` in 2026.
Prices live apart, in the offline preview's dated price table, because they change more often.

Which types a *new* Hetzner project can order is recorded apart from where a type exists: on
2026-09-03 hetzner.com marked every cost-optimised plan (CX, CAX) "not available" for new orders
(read on the plan pages that day; see offline/prices/), while projects that already had them could
still order more. The config refuses such a type unless the stack says its project can still order
it (`legacyServerTypes`); `scripts/preflight.sh` asks the project's API for the truth of the day.
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
    """Where the type exists."""
    orderable: tuple[str, ...]
    """Where a new project could order it when ORDERABLE_CHECKED was read."""
    current_generation: bool = True


ORDERABLE_CHECKED = "2026-09-03"
"""When `ServerType.orderable` was read: hetzner.com's plan pages, as the price table's note says."""


def _family(
    names_and_sizes: list[tuple[str, int, int, int]],
    arch: str,
    dedicated: bool,
    locations: tuple[str, ...],
    *,
    orderable: bool = True,
    current_generation: bool = True,
) -> dict[str, ServerType]:
    where_orderable = locations if orderable else ()
    return {
        name: ServerType(
            name, vcpus, mem, disk, arch, dedicated, locations, where_orderable, current_generation
        )
        for name, vcpus, mem, disk in names_and_sizes
    }


SERVER_TYPES: dict[str, ServerType] = {
    # Cost-optimised shared vCPU (Intel/AMD), EU only; the CX generation introduced in October 2025.
    **_family(
        [("cx23", 2, 4, 40), ("cx33", 4, 8, 80), ("cx43", 8, 16, 160), ("cx53", 16, 32, 320)],
        "x86",
        False,
        EU_LOCATIONS,
        orderable=False,
    ),
    # Shared vCPU (Ampere Altra, arm64), EU only.
    **_family(
        [("cax11", 2, 4, 40), ("cax21", 4, 8, 80), ("cax31", 8, 16, 160), ("cax41", 16, 32, 320)],
        "arm",
        False,
        EU_LOCATIONS,
        orderable=False,
    ),
    # Regular-performance shared vCPU (AMD), current generation (October 2025), all locations.
    **_family(
        [
            ("cpx12", 1, 2, 40),
            ("cpx22", 2, 4, 80),
            ("cpx32", 4, 8, 160),
            ("cpx42", 8, 16, 320),
            ("cpx52", 12, 24, 480),
            ("cpx62", 16, 32, 640),
        ],
        "x86",
        False,
        ALL_LOCATIONS,
    ),
    # Regular-performance shared vCPU (AMD), previous generation, still sold.
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
        current_generation=False,
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


def orderable_alternative(name: str, location: str) -> ServerType | None:
    """The smallest type a new project can order in `location` with at least `name`'s vCPUs and RAM,
    same architecture, shared vCPU before dedicated, current generation first."""
    wanted = SERVER_TYPES[name]
    fits = [
        t
        for t in SERVER_TYPES.values()
        if location in t.orderable
        and t.arch == wanted.arch
        and t.vcpus >= wanted.vcpus
        and t.memory_gib >= wanted.memory_gib
    ]
    return min(fits, key=_smallest_first, default=None)


def _smallest_first(t: ServerType) -> tuple[bool, bool, int, int, str]:
    return (t.dedicated_cpu, not t.current_generation, t.vcpus, t.memory_gib, t.name)
