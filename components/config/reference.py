"""Generates docs/configuration.md from the config models, so every key's documentation is the code's.

Run `python -m components.config.reference > docs/configuration.md`; a test keeps the file current.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import textwrap
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .base import Section
from .secrets import SECRET_SPECS
from .stack import StackConfig


@functools.cache
def attribute_docs(model: type[Section]) -> dict[str, str]:
    """Each field's docstring (the string literal right after its annotation in a class body; the most
    derived class's wins). Read from the source here, for the reference only: the program itself never
    needs them, and parsing its own source at every start cost it a hundredth of a preview."""
    docs: dict[str, str] = {}
    for cls in reversed([c for c in model.__mro__ if isinstance(c, type) and issubclass(c, Section)]):
        (body,) = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
        assert isinstance(body, ast.ClassDef)
        for annotation, docstring in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(annotation, ast.AnnAssign)
                and isinstance(annotation.target, ast.Name)
                and isinstance(docstring, ast.Expr)
                and isinstance(docstring.value, ast.Constant)
                and isinstance(docstring.value.value, str)
            ):
                docs[annotation.target.id] = inspect.cleandoc(docstring.value.value)
    return docs


def _section_type(annotation: Any) -> type[Section] | None:
    """The Section class behind a field's annotation (directly or as list[...] / X | None)."""
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, Section):
            return candidate
    return None


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (list, tuple):
        (item, *_) = typing.get_args(annotation) or (Any,)
        return f"list of {_type_name(item)}"
    if origin is dict:
        return "map"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        value = [item.model_dump(by_alias=True) for item in value]
    return f"`{json.dumps(value)}`"


def _rows(model: type[Section], prefix: str) -> tuple[list[str], list[tuple[str, type[Section]]]]:
    rows, nested = [], []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        description = " ".join(attribute_docs(model).get(name, "").split())
        rows.append(f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {description} |")
        section = _section_type(field.annotation)
        if section is not None:
            suffix = "[]" if typing.get_origin(field.annotation) is list else ""
            nested.append((f"{key}{suffix}.", section))
    return rows, nested


def render() -> str:
    lines = [
        "# Stack configuration reference",
        "",
        "Generated from `components/config/` by `python -m components.config.reference`; do not edit.",
        "Keys go under the project namespace in `Pulumi.<stack>.yaml` (e.g. `platform:location`).",
        "",
    ]
    queue: list[tuple[str, type[Section]]] = [("", StackConfig)]
    while queue:
        prefix, model = queue.pop(0)
        title = prefix.rstrip(".") or "top level"
        doc = " ".join((model.__doc__ or "").split())
        lines += [f"## {title}", "", doc, "", "| key | type | default | meaning |", "|---|---|---|---|"]
        rows, nested = _rows(model, prefix)
        lines += [*rows, ""]
        queue += nested
    lines += [
        "## Secrets",
        "",
        "Set each with `pulumi config set --secret <key> <value>`; a plain-text value is refused.",
        "",
        "| key | required | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{s.key}` | {s.required_because} | {s.description} |" for s in SECRET_SPECS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
