"""SSH keys for the servers: a key the Hetzner project already has is used, the others are uploaded.

Hetzner refuses a second key with the same public key in one project ("SSH key not unique"), and most
teams uploaded theirs in the console before their first `pulumi up`. So the program asks the project
for its keys first: one with the same fingerprint that this stack did not upload is used by id; the
keys this stack uploaded carry its labels and stay managed here (else the next run would adopt its
own key and delete the resource that made it).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

import pulumi
import pulumi_hcloud as hcloud


def md5_fingerprint(public_key: str) -> str:
    """Hetzner's fingerprint of an OpenSSH public key: MD5 of the key blob, colon-separated hex
    (what `ssh-keygen -l -E md5` prints)."""
    blob = base64.b64decode(public_key.split()[1])
    return ":".join(f"{byte:02x}" for byte in hashlib.md5(blob, usedforsecurity=False).digest())


def is_this_stacks(labels: Mapping[str, str], stack_labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in stack_labels.items())


def server_ssh_keys(
    name: str,
    public_keys: list[str],
    labels: dict[str, str],
    stack_labels: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Output[str]]:
    """Ids of the keys every server gets, uploading only those the project does not have yet."""
    uploaded = {key.fingerprint: key for key in hcloud.get_ssh_keys().ssh_keys}
    ids = []
    for index, public_key in enumerate(public_keys):
        existing = uploaded.get(md5_fingerprint(public_key))
        if existing is not None and not is_this_stacks(existing.labels, stack_labels):
            ids.append(pulumi.Output.from_input(str(existing.id)))
        else:
            ids.append(
                hcloud.SshKey(f"{name}-ssh-{index}", public_key=public_key, labels=labels, opts=opts).id
            )
    return ids
