"""pulumi_policy's unknown-checking proxy, built as the policy reads the properties instead of up front.

Before each policy sees a resource, pulumi_policy's servicer (`Analyze`, `AnalyzeStack`) passes its
freshly deserialized properties to `unknown_checking_proxy`, which copies the whole tree into
`_DictProxy`/`_ListProxy` wrappers so that reading a value not known during preview raises
`UnknownValueError` with its path. A policy reads a few fields of the resources it applies to and none
of the others, yet every container of every resource was wrapped once per policy: the largest part of
the pack's CPU over a preview.

`LazyDictProxy` and `LazyListProxy` are those wrappers (subclasses, so `isinstance` and the SDK's own
unwrapping of `"__target"` keep working) that wrap a nested container the first time it is read and keep
that wrapper, so the same read gives the same object, as before. What a policy can observe is the same:
values, the unknown errors and their paths, iteration, lengths, equality, writes through `__setitem__`
(the tree is the servicer's own fresh copy for this policy, as before). The one difference is inside
`"__target"`: containers not read yet are still plain, which `pulumi_policy.deserialize`'s serializer
handles alike.

`policies/__main__.py` installs it in the pack's process; tests/policies/test_conversion.py checks that
the pack answers every request of the dev, prod and fresh prod previews the same with and without it,
and tests/policies/test_unknown_proxy.py that each read behaves as the SDK's own proxy.
"""

from __future__ import annotations

from typing import Any

import pulumi_policy.policy
from pulumi_policy.proxy import _append_prop, _DictProxy, _ListProxy, _raise_if_unknown


def _wrapped(value: Any, path: list[str], key: Any) -> Any:
    """The proxy for a plain nested container (its path extended by `key`), else the value itself."""
    if isinstance(value, dict):
        return LazyDictProxy(value, _append_prop(path, key))
    if isinstance(value, list):
        return LazyListProxy(value, _append_prop(path, key))
    return value


class LazyDictProxy(_DictProxy):
    """A JSON object whose nested containers are wrapped when first read."""

    def __getitem__(self, key: Any) -> Any:
        target: dict[str, Any] = self._DictProxy__target  # type: ignore[attr-defined]
        if key == "__target":
            return target
        path: list[str] = self._DictProxy__props_acc  # type: ignore[attr-defined]
        value = target[key]
        wrapped = _wrapped(value, path, key)
        if wrapped is not value:
            target[key] = wrapped
        return _raise_if_unknown(key, wrapped, path)


class LazyListProxy(_ListProxy):
    """A JSON array whose nested containers are wrapped when first read."""

    def __getitem__(self, key: Any) -> Any:
        target: list[Any] = self._ListProxy__target  # type: ignore[attr-defined]
        if key == "__target":
            return target
        if isinstance(key, slice):  # as the SDK's: a plain list of the wrapped elements, unchecked
            return [self._element(target, index) for index in range(*key.indices(len(target)))]
        in_range_from_end = isinstance(key, int) and -len(target) <= key < 0
        index = key + len(target) if in_range_from_end else key  # any other bad key fails as the SDK's
        return _raise_if_unknown(key, self._element(target, index), self._path)

    @property
    def _path(self) -> list[str]:
        path: list[str] = self._ListProxy__props_acc  # type: ignore[attr-defined]
        return path

    def _element(self, target: list[Any], index: Any) -> Any:
        """Element `index` (counted from the start: the SDK's path names it so), wrapped and kept when a
        container."""
        value = target[index]
        wrapped = _wrapped(value, self._path, index)
        if wrapped is not value:
            target[index] = wrapped
        return wrapped


def lazy_unknown_checking_proxy(props: Any) -> Any:
    """What `pulumi_policy.proxy.unknown_checking_proxy` returns, wrapping nothing up front: a proxy for
    a dict or list; anything else as it is (`Remediate` passes the secrets-preserving proxy, which the
    SDK's leaves unwrapped)."""
    if isinstance(props, dict):
        return LazyDictProxy(props, [])
    if isinstance(props, list):
        return LazyListProxy(props, [])
    return props


def install() -> bool:
    """Give pulumi_policy's servicer the lazy proxy; False, and nothing changed, when the SDK no longer
    wraps properties through its module's `unknown_checking_proxy` (tests/policies/test_conversion.py
    fails then, so the change is noticed)."""
    current = getattr(pulumi_policy.policy, "unknown_checking_proxy", None)
    if current is None:
        return False
    pulumi_policy.policy.unknown_checking_proxy = lazy_unknown_checking_proxy
    return True
