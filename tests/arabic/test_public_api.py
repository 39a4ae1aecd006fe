from __future__ import annotations

import producer.arabic


def test_public_surface() -> None:
    assert sorted(producer.arabic.__all__) == [
        "Diacritizer",
        "Lexicon",
        "LexiconEntry",
        "get_diacritizer",
        "speakable",
    ]
    for name in producer.arabic.__all__:
        assert getattr(producer.arabic, name) is not None
