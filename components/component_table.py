"""The README's component table, generated from the components themselves.

Each row is a `pulumi.ComponentResource` under `components/`: its type token, its package and the first
paragraph of its class docstring (which therefore says what the component owns). Rows follow the order
`__main__.py` builds them in. Regenerate after changing a component's docstring or adding one:

    .venv/bin/python -m components.component_table --write README.md

tests/test_component_table.py fails when the README's block differs from what this renders.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import pulumi

import components

BEGIN, END = "<!-- components -->", "<!-- /components -->"
ORDER = (
    "Network",
    "K3sCluster",
    "ClusterAddons",
    "Day2",
    "PostgresServer",
    "Ingress",
    "Observability",
    "ObjectStore",
    "Supabase",
    "App",
    "Workloads",
)
"""Class names in the order `__main__.py` composes them (the architecture picture, left to right)."""


def component_classes() -> list[type[pulumi.ComponentResource]]:
    """Every ComponentResource defined in the `components` package, in ORDER."""
    found: dict[str, type[pulumi.ComponentResource]] = {}
    for module_info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, pulumi.ComponentResource)
                and value.__module__ == module.__name__
            ):
                found[name] = value
    unknown = sorted(set(found) - set(ORDER))
    if unknown:
        raise ValueError(
            f"components {unknown} are not in component_table.ORDER: add them where __main__ builds them"
        )
    return [found[name] for name in ORDER if name in found]


def summary(cls: type) -> str:
    """The first paragraph of the class docstring, on one line."""
    doc = inspect.getdoc(cls)
    if not doc:
        raise ValueError(f"{cls.__module__}.{cls.__name__} has no docstring: say what the component owns")
    return " ".join(doc.split("\n\n", 1)[0].split())


def render() -> str:
    lines = ["| component | package | owns |", "|---|---|---|"]
    for cls in component_classes():
        package = cls.__module__.rsplit(".", 1)[0] if cls.__module__.count(".") > 1 else cls.__module__
        lines.append(f"| `{cls.__name__}` | `{package.replace('.', '/')}/` | {summary(cls)} |")
    return "\n".join(lines) + "\n"


def replace_block(document: str, table: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.S)
    if not pattern.search(document):
        raise ValueError(f"the document has no {BEGIN} ... {END} block")
    return pattern.sub(lambda _: f"{BEGIN}\n{table}{END}", document, count=1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"] and len(sys.argv) == 3:
        path = Path(sys.argv[2])
        path.write_text(replace_block(path.read_text(), render()))
    else:
        print(render(), end="")
