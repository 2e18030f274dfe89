"""`listing.uncased`: the phrases a search compares by LIKE instead of ILIKE."""

from __future__ import annotations

import sys
import unicodedata

from workorders.services import listing


def test_no_case_mapping_changes_or_makes_a_character_of_an_uncased_phrase() -> None:
    """Every code point: one that `uncased` admits is its own lower and upper case, and no
    character's lower or upper case holds one (so lower-casing a text neither makes nor breaks an
    occurrence of such a phrase, and LIKE finds what ILIKE would)."""
    admitted = set()
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if listing.uncased(char):
            admitted.add(char)
            assert char.lower() == char.upper() == char.casefold() == char, hex(point)
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        for mapped in (char.lower(), char.upper()):
            if mapped != char:
                assert not admitted & set(mapped), (hex(point), mapped)
    assert {"漏", "水", "。", "5", "%", "_", "\\", " ", "가"} <= admitted
    assert not admitted & {"a", "A", "ß", "İ", "ı", "Σ", "ς", "Ⅰ", "Ⓐ", "\u0307", "K"}


def test_a_phrase_is_uncased_when_every_character_is() -> None:
    assert listing.uncased("厨房水龙头漏水") and listing.uncased("第5号 #12-3")
    assert not listing.uncased("电梯A座") and not listing.uncased("Kitchen")
    assert unicodedata.category("\u212a") == "Lu" and not listing.uncased("\u212a")
