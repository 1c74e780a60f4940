"""k3s config -> kube-apiserver mapping: unknown keys are refused, extra args merge as k3s merges them."""

from __future__ import annotations

from pathlib import Path

import pytest

from .k3s_server import ServerDir, UnmappedSettingError, apiserver_args, k3s_merge_args


def test_an_unmapped_config_key_fails_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UnmappedSettingError, match=r"\['egress-selector-mode'\].*APISERVER_KEYS"):
        apiserver_args({"egress-selector-mode": "pod"}, ServerDir(tmp_path), 6444, "https://127.0.0.1:2379")


def test_extra_args_replace_append_and_prepend_like_k3s() -> None:
    # k3s docs ("Customized flags for Kubernetes processes"): `flag+=` appends to k3s's value,
    # `flag-=` prepends, plain `flag=` replaces; repeated flags stay repeated.
    merged = k3s_merge_args(
        {"enable-admission-plugins": "NodeRestriction", "profiling": "false", "anonymous-auth": "false"},
        ["enable-admission-plugins+=EventRateLimit", "profiling=true", "--audit-log-maxage=30", "v-=2"],
    )
    assert merged == [
        "--anonymous-auth=false",
        "--audit-log-maxage=30",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-admission-plugins=EventRateLimit",
        "--profiling=true",
        "--v=2",
    ]
