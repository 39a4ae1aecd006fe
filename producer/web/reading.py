"""The editor's "كيف سيُقرأ" view: each segment exactly as the engine is fed it, word by word.

For an engine fed vowelled text (espeak) the view shows the diacritizer's vowels in the pausal form,
with the words to check marked: those the model was unsure of, and verbs opening a sentence (whose
active and passive are spelled alike). The diacritizer runs here, in the web process: it is a pair of
small ONNX models (a few MB), thread-safe, with no process-wide native state of an engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from producer.web import service
from producer.web.deps import AppState


@dataclass(frozen=True)
class Piece:
    """A word of a spoken line (`word` holds its letters), or the text between two words."""

    text: str
    word: str = ""
    unsure: bool = False
    verb: bool = False
    given: bool = False


SpokenLine = list[Piece]


def spoken_views(state: AppState, texts: Sequence[str], engine: str) -> list[list[SpokenLine]]:
    """Each text's lines as the engine `engine` will read them."""
    from producer.arabic.diacritize import get_diacritizer, strip_diacritics
    from producer.tts.registry import wants_diacritics

    spoken = service.station_speakable(state, texts)
    groups = [text.split("\n") for text in spoken]
    if not wants_diacritics(engine):
        return [[[Piece(line)] for line in group] for group in groups]
    readings = iter(get_diacritizer().read([line for group in groups for line in group]))
    views: list[list[SpokenLine]] = []
    for group in groups:
        lines = []
        for _ in group:
            reading = next(readings)
            lines.append(
                [
                    Piece(text)
                    if word is None
                    else Piece(text, strip_diacritics(text), word.unsure, word.opens_with_verb, word.given)
                    for text, word in reading.pieces()
                ]
            )
        views.append(lines)
    return views
