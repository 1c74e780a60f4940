"""Fills the `{{ name }}` placeholders of a file kept in a component's `files/` folder.

One syntax for every templated file (PostgreSQL and pgBackRest configuration, systemd timers, Kong's
declarative config): `{{ name }}` means nothing to a shell, systemd, PostgreSQL or YAML, so a file keeps
its own `$VAR` and `${VAR}` untouched. Every placeholder needs a value and every value a placeholder;
either mistake stops the preview, naming the file and the names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class TemplateError(ValueError):
    """A placeholder without a value, or a value without a placeholder."""


def fill_template(text: str, values: Mapping[str, str], source: str) -> str:
    """`text` with each `{{ name }}` replaced by `values[name]` as is (the caller quotes or encodes)."""
    names = set(PLACEHOLDER.findall(text))
    missing, unused = sorted(names - set(values)), sorted(set(values) - names)
    if missing:
        raise TemplateError(f"{source}: no value for placeholder(s) {', '.join(missing)}")
    if unused:
        raise TemplateError(f"{source}: value(s) {', '.join(unused)} have no placeholder (misspelt?)")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def render_template(path: Path, values: Mapping[str, str]) -> str:
    """The file at `path` with its placeholders filled (see `fill_template`)."""
    return fill_template(path.read_text(), values, path.name)
