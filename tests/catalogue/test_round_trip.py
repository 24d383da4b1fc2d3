"""Catalogues survive a dump and a load unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from onestop.domain.catalogue.checks import check_catalogue
from onestop.domain.catalogue.model import Catalogue
from onestop.testing.strategies import catalogues
from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue

ROOT = Path(__file__).parent.parent.parent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues())
def test_load_dump_load_gives_an_equal_catalogue(catalogue: Catalogue) -> None:
    """Dumping a valid catalogue to JSON and loading it back gives an equal catalogue."""
    assert check_catalogue(catalogue) == []
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "catalogue.json"
        file.write_text(dump_catalogue(catalogue), encoding="utf-8")
        first = load_catalogue(file)
        file.write_text(dump_catalogue(first), encoding="utf-8")
        assert load_catalogue(file) == first == catalogue


def test_the_jakarta_sample_round_trips(tmp_path: Path) -> None:
    """The Jakarta sample, dumped to JSON and loaded again, is equal to the original."""
    original = load_catalogue(ROOT / "examples" / "jakarta")
    file = tmp_path / "jakarta.json"
    file.write_text(dump_catalogue(original), encoding="utf-8")
    assert load_catalogue(file) == original


def test_drawn_words_are_only_characters_free_text_accepts() -> None:
    """The strategies draw no character a LocalizedText refuses, such as U+FFFE or U+FFFF."""
    from onestop.testing import strategies

    accepted = strategies._is_free_text
    assert [accepted(c) for c in ("\ufffe", "\uffff", "\x00", "a", "\u17a2", "\t")] == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]
