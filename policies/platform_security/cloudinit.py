"""Reading a server's user-data the way cloud-init will: `#cloud-config` YAML, possibly inside a
MIME multipart document, with `write_files` contents that may be base64 and/or gzip encoded."""

from __future__ import annotations

import base64
import binascii
import email
import functools
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml


class UserDataError(ValueError):
    """The user-data cannot be read as cloud-init would read it."""


@dataclass(frozen=True)
class WrittenFile:
    path: str
    content: str
    permissions: str | None


@dataclass(frozen=True)
class CloudConfig:
    """Everything in a user-data document a policy can check."""

    files: tuple[WrittenFile, ...]
    commands: tuple[str, ...]
    scripts: tuple[str, ...]

    def file(self, path: str) -> WrittenFile | None:
        return next((f for f in self.files if f.path == path), None)

    def all_text(self) -> Iterator[str]:
        """Every file content, command and shell script, for checks that look for a rule anywhere."""
        yield from (f.content for f in self.files)
        yield from self.commands
        yield from self.scripts


def _decode(content: Any, encoding: str) -> str:
    raw: bytes = content.encode() if isinstance(content, str) else bytes(content or b"")
    encoding = encoding.lower()
    try:
        if encoding in ("b64", "base64", "gz+b64", "gzip+base64", "gz+base64", "gzip+b64"):
            raw = base64.b64decode(raw)
        if encoding.startswith(("gz", "gzip")):
            raw = gzip.decompress(raw)
    except (binascii.Error, OSError) as err:
        raise UserDataError(f"write_files content with encoding {encoding!r} does not decode: {err}") from err
    return raw.decode("utf-8", errors="replace")


def _command_text(entry: Any) -> str:
    if isinstance(entry, list):
        return " ".join(str(part) for part in entry)
    return str(entry)


def _parts(user_data: str) -> Iterator[tuple[str, str]]:
    """(content type, text) of each part: one part for plain user-data, several for MIME multipart."""
    stripped = user_data.lstrip()
    if stripped.startswith("Content-Type:") or stripped.startswith("MIME-Version:"):
        message = email.message_from_string(stripped)
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
            yield part.get_content_type(), text
        return
    yield "", user_data


@functools.lru_cache(maxsize=64)
def parse_user_data(user_data: str) -> CloudConfig:
    """Parse user-data; raises UserDataError when a #cloud-config part is not valid YAML.

    Cached: several policies read the same server's user-data, per resource and again over the stack,
    and the result is immutable."""
    files: list[WrittenFile] = []
    commands: list[str] = []
    scripts: list[str] = []
    for content_type, text in _parts(user_data):
        if text.startswith("#!") or content_type == "text/x-shellscript":
            scripts.append(text)
            continue
        if not (text.startswith("#cloud-config") or content_type == "text/cloud-config"):
            continue
        try:
            document = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        except yaml.YAMLError as err:
            raise UserDataError(f"the #cloud-config part is not valid YAML: {err}") from err
        if not isinstance(document, dict):
            raise UserDataError("the #cloud-config part is not a YAML mapping")
        for entry in document.get("write_files") or []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                content = _decode(entry.get("content", ""), str(entry.get("encoding", "text/plain")))
                files.append(WrittenFile(entry["path"], content, entry.get("permissions")))
        for key in ("bootcmd", "runcmd"):
            commands.extend(_command_text(c) for c in document.get(key) or [])
    return CloudConfig(tuple(files), tuple(commands), tuple(scripts))
