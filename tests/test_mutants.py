"""The mutation check's list (benchmarks/mutants.py) matches the code: every mutant's original text is
in its file exactly once, so a change that moves or rewrites a mutated line shows here, not as a
mysterious "survivor" or a crash of `python -m benchmarks.mutants`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.mutants import MUTANTS, Mutant, MutantError, check

AREAS = (
    "components/network/",
    "components/k3s/",
    "components/postgres/",
    "components/observability/",
    "components/ingress/",
    "components/object_store/",
    "components/app/",
    "components/workloads/",
    "components/supabase/",
    "policies/",
)


def test_every_original_text_is_found_exactly_once() -> None:
    check(MUTANTS)


def test_the_list_is_long_named_uniquely_and_covers_every_component() -> None:
    assert len(MUTANTS) >= 30
    names = [m.name for m in MUTANTS]
    assert len(set(names)) == len(names)
    assert [a for a in AREAS if not any(m.file.startswith(a) for m in MUTANTS)] == []
    for mutant in MUTANTS:
        assert mutant.tests and mutant.why, mutant.name
        old, new = mutant.original.splitlines(), mutant.replacement.splitlines()
        changed = [i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
        assert len(changed) + abs(len(old) - len(new)) == 1, f"{mutant.name} changes more than one line"


def test_a_drifted_mutant_is_named_with_a_fix(tmp_path: Path) -> None:
    """Failing case: text that is not there (or twice) is reported with the mutant and the file."""
    (tmp_path / "f.py").write_text("x = 1\nx = 1\n")
    missing = Mutant("gone", "f.py", "y = 2", "y = 3", ("f.py",), "why")
    twice = dataclasses.replace(missing, name="twice", original="x = 1")
    with pytest.raises(MutantError, match=r"mutant gone: its original text is in f.py 0 times") as err:
        check([missing, twice], root=tmp_path)
    assert "mutant twice: its original text is in f.py 2 times" in str(err.value)
    assert "update benchmarks/mutants.py" in str(err.value)
