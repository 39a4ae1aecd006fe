"""Cutting speakable text into sentences, and sentences into pieces a length-limited API accepts.

Boundaries are punctuation followed by white space, so decimals ("3.5"), times ("10:30") and
thousands ("1,000") never split; a space between two digits does not split either.
"""

from __future__ import annotations

import re

_CLOSERS = "\"'»”’)\\]"
_SENTENCE_END = re.compile(rf"[.!?؟…۔]+[{_CLOSERS}]*(?=\s|$)|\n")
_CLAUSE_END = re.compile(rf"[،,؛;:]+[{_CLOSERS}]*(?=\s|$)")
# White space is a word break unless it sits between two digits ("1 000 000").
_WORD_BREAK = re.compile(r"\s+(?!\d)|(?<!\d)\s+")


def _cut_after(pattern: re.Pattern[str], text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [" ".join(piece.split()) for piece in pieces if piece.strip()]


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its end punctuation, white space collapsed."""
    return _cut_after(_SENTENCE_END, text)


def _pack(pieces: list[str], limit: int) -> list[str]:
    """Join neighbouring pieces with a space while the result stays within `limit`."""
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 1 + len(piece) <= limit:
            packed[-1] = f"{packed[-1]} {piece}"
        else:
            packed.append(piece)
    return packed


def _split_words(clause: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for word in _WORD_BREAK.split(clause):
        # Only a single "word" longer than the whole limit is ever cut inside.
        pieces.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return _pack(pieces, limit)


def split_to_limit(sentence: str, limit: int) -> list[str]:
    """Cut a sentence into pieces of at most `limit` characters at clause, then word boundaries."""
    sentence = " ".join(sentence.split())
    if len(sentence) <= limit:
        return [sentence] if sentence else []
    pieces: list[str] = []
    for clause in _cut_after(_CLAUSE_END, sentence):
        pieces.extend([clause] if len(clause) <= limit else _split_words(clause, limit))
    return _pack(pieces, limit)
