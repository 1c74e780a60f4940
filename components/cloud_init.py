"""Renders #cloud-config user-data documents from files kept next to the component that owns them.

Shared by every server the program creates (k3s nodes, the database VM), so that file modes, the
literal-block layout and the header are the same everywhere and `cloud-init schema` checks one shape.

Hetzner refuses user-data over 32 KiB (API: "This field is limited to 32KiB"). Scripts and configs
compress two to four times, so every file whose gzip-compressed, base64-encoded form is shorter is
written that way (`encoding: gz+b64`, which cloud-init's write_files decodes before writing); files
that would not shrink (PEM certificates and keys are base64 already, tiny files) stay readable.
"""

from __future__ import annotations

import base64
import functools
import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class WriteFile:
    """One cloud-init write_files entry. Secret content is fine: the whole document is a secret."""

    path: str
    content: str
    permissions: str = "0644"
    owner: str = "root:root"
    """cloud-init's own defaults; the rendered entry names only what differs."""

    @classmethod
    def from_file(cls, source: Path, path: str, permissions: str = "0644") -> WriteFile:
        return cls(path=path, content=_read(source), permissions=permissions)


@functools.cache
def _read(source: Path) -> str:
    """A file of the repository (every node gets the same ones: read once per run)."""
    return source.read_text()


@functools.lru_cache(maxsize=512)
def _packed(content: str) -> str:
    """gzip -9 then base64; most files are the same on every node, so each is packed once per run."""
    return base64.b64encode(gzip.compress(content.encode(), compresslevel=9, mtime=0)).decode()


def encoded_content(content: str) -> dict[str, str]:
    """A write_files entry's `content` (and `encoding` when compressed), byte-for-byte the same on disk.

    The gzip header carries no time stamp or file name, so the same file always renders the same bytes.
    """
    raw = content.encode()
    packed = _packed(content)
    if len(packed) >= len(raw):
        return {"content": content}
    return {"encoding": "gz+b64", "content": packed}


DEFAULT_PERMISSIONS = "0644"
DEFAULT_OWNER = "root:root"
"""What cloud-init's write_files uses when an entry names none (cc_write_files, Debian's distro)."""


def write_files_entry(
    path: str, content: str, permissions: str, owner: str = DEFAULT_OWNER
) -> dict[str, str]:
    """One write_files entry; cloud-init's defaults are left out (every byte counts toward 32 KiB)."""
    entry = {"path": path, **encoded_content(content)}
    if permissions != DEFAULT_PERMISSIONS:
        entry["permissions"] = permissions
    if owner != DEFAULT_OWNER:
        entry["owner"] = owner
    return entry


@dataclass(frozen=True)
class CloudConfig:
    """The parts of a #cloud-config document this program uses."""

    write_files: list[WriteFile] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    runcmd: list[list[str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        # A server that installs nothing (the database VM: its bootstrap pins and installs its own
        # packages) gets no package keys, so cloud-init does not refresh the package lists twice.
        packages: dict[str, Any] = (
            {"package_update": True, "package_upgrade": False, "packages": self.packages}
            if self.packages
            else {}
        )
        document: dict[str, Any] = {
            **packages,
            "write_files": [
                write_files_entry(f.path, f.content, f.permissions, f.owner) for f in self.write_files
            ],
            **self.extra,
            "runcmd": self.runcmd,
        }
        return "#cloud-config\n" + yaml.dump(document, Dumper=_LiteralDumper, sort_keys=False, width=4096)


class _LiteralDumper(yaml.CSafeDumper):
    """Writes multi-line strings as literal blocks, so files land byte-for-byte and stay readable.
    libyaml's emitter writes the same bytes as PyYAML's, 15 times faster (one document per server)."""


def _represent_str(dumper: yaml.CSafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_LiteralDumper.add_representer(str, _represent_str)
