"""The provider SDKs' property types resolved with one `eval` each, for the offline preview.

To serialize inputs and type outputs, the Pulumi SDK asks once per class for the return type of every
property getter (`pulumi._types._raw_return_hints`, through `typing.get_type_hints` with the class's
module globals). The generated SDKs annotate getters like `pulumi.Output[Optional['outputs.ObjectMeta']]`
and, loaded lean (offline/lean_imports.py), keep each annotation as a string: `get_type_hints` then
compiles it, evaluates it, finds `'outputs.ObjectMeta'` inside, compiles and evaluates that, and rebuilds
the `Optional` and `Output` around the result: about a fifth of the program's registration time for
the 230 classes a prod preview serializes.

Without the quotes the same annotation evaluates in one step to the same type: the quoted parts are
names the same globals resolve. `install()` gives the SDK a `_raw_return_hints` that does that for
annotations whose quotes hold only dotted names and that are not `Literal[...]` (whose quotes are
values), caching each compiled annotation, and asks `typing.get_type_hints` for all others.
tests/offline/test_lean_imports.py compares every class's types with the SDK's own resolution.
"""

from __future__ import annotations

import builtins
import functools
import re
import typing
from types import CodeType
from typing import Any

import pulumi
from pulumi import _types

_QUOTED_NAME = re.compile(r"'([A-Za-z_][A-Za-z_0-9.]*)'")


@functools.cache
def _unquoted(annotation: str) -> CodeType | None:
    """The annotation with its quoted names unquoted, compiled; None when it needs typing's own path."""
    if "Literal" in annotation:
        return None
    text = _QUOTED_NAME.sub(r"\1", annotation)
    if "'" in text or '"' in text:
        return None
    return compile(text, "<annotation>", "eval")


_MISSING = object()


def _lookup(name: str, globalns: dict[str, Any], localns: dict[str, Any]) -> Any:
    """What `name` means to eval in these namespaces (locals, then globals, then builtins)."""
    if name in localns:
        return localns[name]
    if name in globalns:
        return globalns[name]
    return getattr(builtins, name, _MISSING)


_RESOLVED: dict[tuple[CodeType, tuple[int, ...]], tuple[Any, tuple[Any, ...]]] = {}
"""Compiled annotation and what each of its names meant -> the type (and those objects, kept alive so
their ids stay theirs). The generated modules repeat the same annotations over the same names."""


def _return_hint(getter: Any, globalns: dict[str, Any], localns: dict[str, Any]) -> Any:
    annotation = getattr(getter, "__annotations__", {}).get("return")
    code = _unquoted(annotation) if isinstance(annotation, str) else None
    if code is None:
        return typing.get_type_hints(getter, globalns=globalns, localns=localns).get("return")
    meanings = tuple(_lookup(name, globalns, localns) for name in code.co_names)
    key = (code, tuple(map(id, meanings)))
    known = _RESOLVED.get(key)
    if known is None:
        value = eval(code, globalns, localns)
        # the rest of get_type_hints' path: forward references left inside aliases (pulumi.Input
        # holds 'Output[T]') resolved against the same namespaces, Annotated unwrapped
        resolved = typing._eval_type(type(None) if value is None else value, globalns, localns)  # type: ignore[attr-defined]
        known = _RESOLVED[key] = (typing._strip_annotations(resolved), meanings)  # type: ignore[attr-defined]
    return known[0]


@functools.cache
def raw_return_hints(cls: type) -> dict[str, Any]:
    """What `pulumi._types._raw_return_hints` returns for `cls`: Pulumi names to getter return types."""
    # the same namespaces as the SDK's: the class's modules' globals, and Output and T as locals
    globalns = _types._globals_for_cls(cls) or {}
    localns = {"Output": pulumi.Output, "T": type(None)}
    hints: dict[str, Any] = {}
    for _, pulumi_name, prop in _types._py_properties(cls):
        hint = _return_hint(prop.fget, globalns, localns)
        if hint is not None:
            hints[pulumi_name] = hint
    return hints


def install() -> bool:
    """Give the SDK the one-step resolution (idempotent); False, and nothing changed, when the SDK no
    longer resolves getter types through `_raw_return_hints` (a test fails then)."""
    current = getattr(_types, "_raw_return_hints", None)
    if current is raw_return_hints:
        return True
    relied_on = (
        hasattr(_types, "_globals_for_cls"),
        hasattr(_types, "_py_properties"),
        hasattr(typing, "_eval_type"),
        hasattr(typing, "_strip_annotations"),
    )
    if current is None or not all(relied_on):
        return False
    _types._raw_return_hints = raw_return_hints
    return True
