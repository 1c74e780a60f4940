"""The README's component table is what the components' docstrings say today (component_table.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.component_table import BEGIN, END, component_classes, render, replace_block

REPO = Path(__file__).resolve().parent.parent


def test_readme_component_table_is_current() -> None:
    readme = (REPO / "README.md").read_text()
    assert replace_block(readme, render()) == readme, (
        "run: .venv/bin/python -m components.component_table --write README.md"
    )


def test_every_component_of_the_program_has_a_row() -> None:
    # The type tokens __main__.py registers (platform:index:<Name>) are exactly the table's rows.
    main = (REPO / "__main__.py").read_text()
    built = {cls.__name__ for cls in component_classes() if f"{cls.__name__}(" in main}
    assert built == {cls.__name__ for cls in component_classes()}
    assert {"Network", "App", "Supabase", "Workloads"} <= built


def test_a_block_is_required() -> None:
    with pytest.raises(ValueError, match="no <!-- components -->"):
        replace_block("# a README without the table\n", render())
    assert replace_block(f"a\n{BEGIN}\nold\n{END}\nb\n", "new\n") == f"a\n{BEGIN}\nnew\n{END}\nb\n"
