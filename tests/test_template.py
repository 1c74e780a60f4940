"""One template function for every templated file: `{{ name }}`, a value for each, each value used."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.template import TemplateError, render_template

TEMPLATED = (
    *(
        Path("components/postgres/files") / name
        for name in ("pg_hba.conf", "pgbackrest.conf", "postgresql.conf")
    ),
    Path("components/postgres/files/pgbackrest-full.timer"),
    Path("components/supabase/files/kong.yml"),
)


def test_a_missing_value_names_the_file_and_the_placeholder(tmp_path: Path) -> None:
    template = tmp_path / "pg_hba.conf"
    template.write_text("hostssl all all {{ allowed_network }} scram-sha-256\n")
    with pytest.raises(TemplateError, match=r"^pg_hba.conf: no value for placeholder\(s\) allowed_network$"):
        render_template(template, {})


def test_a_value_without_a_placeholder_is_a_misspelling(tmp_path: Path) -> None:
    template = tmp_path / "timer"
    template.write_text("OnCalendar={{ schedule }}\n")
    with pytest.raises(TemplateError, match=r"^timer: value\(s\) schedul have no placeholder"):
        render_template(template, {"schedule": "daily", "schedul": "daily"})


def test_shell_and_systemd_variables_stay_as_written(tmp_path: Path) -> None:
    template = tmp_path / "unit"
    template.write_text('ExecStart=/bin/sh -c "echo ${HOME} $USER {{ word }}"\n')
    assert (
        render_template(template, {"word": "$x {{ y }}"})
        == 'ExecStart=/bin/sh -c "echo ${HOME} $USER $x {{ y }}"\n'
    )


@pytest.mark.parametrize("path", TEMPLATED, ids=str)
def test_the_templated_files_use_only_this_syntax(path: Path) -> None:
    """string.Template's `${name}` would now pass through unfilled: none is left in a templated file."""
    text = (Path(__file__).resolve().parent.parent / path).read_text()
    assert "{{" in text
    assert "${" not in text
