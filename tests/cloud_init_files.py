"""What cloud-init's write_files puts on disk from a rendered user-data document.

Large files are rendered `encoding: gz+b64` (Hetzner's 32 KiB user-data limit); the tests read them
decoded. tests/k3s/test_user_data_size.py proves with cloud-init's own decoder that this reading is
the one cloud-init makes.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

import yaml


def decoded(entry: dict[str, Any]) -> str:
    """The text write_files writes for one entry (plain, or gz+b64 as the renderer emits it)."""
    encoding = entry.get("encoding", "text/plain")
    if encoding == "text/plain":
        return str(entry["content"])
    assert encoding == "gz+b64", f"{entry['path']}: unexpected encoding {encoding!r}"
    return gzip.decompress(base64.b64decode(entry["content"])).decode()


def written_files(user_data: str) -> dict[str, dict[str, Any]]:
    """path -> write_files entry of a user-data document, `content` decoded."""
    document = yaml.safe_load(user_data)
    return {entry["path"]: {**entry, "content": decoded(entry)} for entry in document["write_files"]}
