"""Validators shared by every kind of node pool (fixed agent pools and the autoscaled pool)."""

from __future__ import annotations

import re

_POOL_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")
_TAINT = re.compile(r"^[\w./-]+(=[\w.-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$")


def check_pool_name(value: str) -> str:
    if not _POOL_NAME.match(value):
        raise ValueError(f"{value!r} is not a pool name: use 1-20 lowercase letters, digits or dashes")
    return value


def check_taints(value: list[str]) -> list[str]:
    for taint in value:
        if not _TAINT.match(taint):
            raise ValueError(f"taint {taint!r} is not `key=value:NoSchedule|PreferNoSchedule|NoExecute`")
    return value
