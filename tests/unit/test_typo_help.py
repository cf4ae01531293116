"""Typo help: candidates are valid, one typo away, and offered only when few."""

from hypothesis import given
from hypothesis import strategies as st

from shared.applications.typo_help import MAX_SUGGESTIONS, inn_suggestions, suggestions
from shared.core import identifiers
from tests.support.identifiers import inn12


@given(st.from_regex(r"\A(0[1-9]|[1-9][0-9])[0-9]{8}\Z"), st.integers(0, 11), st.integers(1, 9))
def test_a_single_typo_is_among_the_suggestions_or_none_are_given(prefix: str, position: int, shift: int) -> None:
    valid = inn12(prefix)
    typo = valid[:position] + str((int(valid[position]) + shift) % 10) + valid[position + 1 :]
    if identifiers.inn_error(typo) != "inn_checksum":
        return  # the typo made another valid number (or hit the region): nothing to suggest
    found = inn_suggestions(typo)
    assert len(found) <= MAX_SUGGESTIONS
    assert all(identifiers.inn_error(c) is None for c in found)
    assert not found or valid in found  # the true number is always a candidate when any are shown


def test_swapped_neighbours_are_found() -> None:
    valid = "500100732259"
    swapped = valid[:9] + valid[10] + valid[9] + valid[11]
    assert valid in inn_suggestions(swapped)


def test_too_many_candidates_means_none() -> None:
    assert suggestions("0000", lambda c: True) == []
