"""Shared pieces of the typed stack configuration.

Every section is a strict pydantic model: keys are camelCase in the stack file (as Pulumi users
write them), attributes are snake_case in Python, unknown keys are rejected instead of ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from croniter import croniter
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Section(BaseModel):
    """Base of every config section: camelCase keys, no unknown keys, immutable once loaded."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class InvalidSettingError(ValueError):
    """A rule that spans several keys failed; names the one key to fix and its value."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.value = value
        self.reason = reason


def _check_network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as err:
        raise ValueError(f"{value!r} is not a CIDR network (expected e.g. 10.0.0.0/16): {err}") from err


def _check_cidr_list_entry(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as err:
        raise ValueError(f"{value!r} is not an IP address or CIDR (expected e.g. 203.0.113.7/32)") from err


Cidr = Annotated[str, AfterValidator(_check_network)]
"""A network in CIDR notation whose host bits are zero (10.0.1.0/24, not 10.0.1.5/24)."""

SourceCidr = Annotated[str, AfterValidator(_check_cidr_list_entry)]
"""An address or network allowed to reach a port; a bare address becomes a /32 or /128."""


def is_world(cidr: str) -> bool:
    """True for a CIDR that admits the whole IPv4 or IPv6 internet."""
    return ipaddress.ip_network(cidr, strict=False).prefixlen == 0


_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_IMAGE = re.compile(
    r"^(?P<name>[a-z0-9]+([._/:-][a-z0-9]+)*?)(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


def _check_hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError(
            f"{value!r} is not a fully qualified lowercase DNS name such as app.example.com "
            "(no scheme, no port)"
        )
    return value


def _check_pinned_image(value: str) -> str:
    match = _IMAGE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a container image reference like ghcr.io/acme/web:1.4.2")
    tag, digest = match.group("tag"), match.group("digest")
    if digest is None and (tag is None or tag == "latest"):
        raise ValueError(
            f"{value!r} is not pinned: give a version tag (ghcr.io/acme/web:1.4.2) or a digest "
            "(ghcr.io/acme/web@sha256:...), so every rollout is a deliberate change"
        )
    return value


Hostname = Annotated[str, AfterValidator(_check_hostname)]
"""A fully qualified DNS name served over HTTPS (lowercase, no scheme, no port)."""

PinnedImage = Annotated[str, AfterValidator(_check_pinned_image)]
"""A container image with a version tag other than `latest`, or a sha256 digest."""


# Kubernetes' quantity grammar (k8s.io/apimachinery resource.Quantity): a number, then a binary suffix
# (Ki..Ei), a decimal one (n, u, m, k, M..E) or an exponent (e3, E-2). No sign: a request is never below
# zero. tests/controlplane/test_vocabulary.py checks this against a real kube-apiserver.
_QUANTITY = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_SUB_UNIT = ("n", "u", "m")


def _check_cpu(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity of CPU such as 250m or 0.5")
    return value


def _check_memory(value: str) -> str:
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity of memory such as 512Mi or 1Gi")
    if match.group("suffix") in _SUB_UNIT:
        raise ValueError(
            f"{value!r} counts fractions of a byte ({match.group('suffix')} is a thousandth, not mega); "
            "write 512Mi or 1Gi"
        )
    return value


CpuQuantity = Annotated[str, AfterValidator(_check_cpu)]
"""CPU as Kubernetes writes it: 250m (a quarter core), 0.5, 2."""

MemoryQuantity = Annotated[str, AfterValidator(_check_memory)]
"""Memory as Kubernetes writes it: 512Mi, 1Gi, 128974848; never in thousandths of a byte (500m)."""


def _check_http_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute HTTP path such as /healthz")
    return value


HttpPath = Annotated[str, AfterValidator(_check_http_path)]
"""An absolute HTTP path a probe requests, e.g. /api/health."""

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid environment variable name (letters, digits and _, not starting "
            "with a digit)"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_check_env_name)]
"""A name a shell can export: letters, digits and underscores, not starting with a digit."""

CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# robfig/cron's standard parser (Kubernetes CronJobs, k3s etcd snapshots) knows none of croniter's
# extensions: L (last), W (weekday), # (nth weekday), H (hashed), and counts weekdays 0-6 (7 is not
# Sunday there).
_CRON_EXTENSION = re.compile(r"[LW#H]", re.IGNORECASE)
_CRON_NAME = re.compile(
    r"(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)", re.I
)


def _check_cron(value: str) -> str:
    text = value.strip()
    if text.upper().startswith(("TZ=", "CRON_TZ=")):
        raise ValueError(f"{value!r} sets a time zone inside the schedule; use timeZone instead")
    fields = text.split()
    valid = text in CRON_MACROS or (
        len(fields) == 5
        and not _CRON_EXTENSION.search(_CRON_NAME.sub("", text))
        and all(int(day) <= 6 for day in re.findall(r"\d+", fields[4].split("/")[0]))
        and croniter.is_valid(text)
    )
    if not valid:
        raise ValueError(
            f"{value!r} is not a cron schedule: use 5 fields (minute hour day-of-month month "
            "day-of-week, the 5-field cron Kubernetes and k3s read), e.g. '*/15 * * * *' or "
            f"'0 3 * * *', or one of {', '.join(CRON_MACROS)}"
        )
    return text


CronSchedule = Annotated[str, AfterValidator(_check_cron)]
"""A 5-field cron schedule or a macro such as @daily, as Kubernetes CronJobs and k3s read it
(robfig/cron's standard parser; tests/controlplane/test_vocabulary.py asks a real kube-apiserver)."""

# Prometheus' duration grammar (prometheus/common model.Duration), units largest first.
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_DURATION_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def parse_duration(value: str) -> float:
    """Seconds in a duration written as Prometheus writes one (`90m`, `26h`, `1d12h`, `2w`)."""
    match = _DURATION.match(value)
    if not value or not match:
        raise ValueError(f"{value!r} is not a duration such as 30m, 26h, 1d12h or 2w")
    return sum(int(part or 0) * unit for part, unit in zip(match.groups(), _DURATION_UNITS, strict=True))


def _check_duration(value: str) -> str:
    if parse_duration(value) <= 0:
        raise ValueError(f"{value!r} is zero; give a positive duration such as 30m")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
"""A positive duration in Prometheus' notation: 30s, 90m, 26h, 1d12h, 2w (checked against promtool)."""


def repeated(names: list[str]) -> list[str]:
    """Names that occur more than once, sorted (for "each needs its own name" errors)."""
    return sorted({name for name in names if names.count(name) > 1})


_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_ENDPOINT = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")


def check_s3_bucket(value: str) -> str:
    """An S3 bucket name, or empty for "derive it"; shared by every off-site backup section."""
    if value and not _S3_BUCKET.match(value):
        raise ValueError(f"{value!r} is not an S3 bucket name (3-63 lowercase letters, digits, dots, dashes)")
    return value


def check_s3_endpoint(value: str) -> str:
    """An S3 endpoint host (optionally :port), without a scheme."""
    if not _S3_ENDPOINT.match(value):
        raise ValueError(f"{value!r} is not a host name (no scheme, e.g. fsn1.your-objectstorage.com)")
    return value
