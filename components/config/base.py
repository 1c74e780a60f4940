"""Shared pieces of the typed stack configuration.

Every section is a strict pydantic model: keys are camelCase in the stack file (as Pulumi users
write them), attributes are snake_case in Python, unknown keys are rejected instead of ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Section(BaseModel):
    """Base of every config section: camelCase keys, no unknown keys, immutable once loaded."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
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
        raise ValueError(f"{value!r} is not a fully qualified lowercase DNS name such as app.example.com")
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
