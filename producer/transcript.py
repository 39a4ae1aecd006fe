"""Transcript cues a player can show: sentences or clauses of a few seconds, timed from the voice.

Each script line (a paragraph) is voiced as one clip. The voice pauses at its punctuation, so the
clip's own pauses time its clauses: the clause boundaries are matched, in order, to the pauses
nearest where the text's proportions put them, and a boundary with no pause near it is placed by
those proportions between the matched ones. A clause still too long for two subtitle lines or for
`max_seconds` is split between words. Nothing is voiced twice and no audio changes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np

from producer.atomic import atomic_write_text
from producer.errors import AudioError
from producer.filecache import FileCache
from producer.models import AudioSource, Cue, Samples, Script, SegmentKind


@dataclass(frozen=True)
class CueStyle:
    """What one cue may hold: the usual subtitle limits (2 lines of 42 characters, ~7 s)."""

    line_chars: int = 42
    lines: int = 2
    max_seconds: float = 7.0

    @property
    def chars(self) -> int:
        return self.line_chars * self.lines


# A clause ends at punctuation followed by a space; the punctuation stays with its clause.
_CLAUSE_END = re.compile(r"(?<=[.!?؟؛;:،,…])\s+")
_SENTENCE_END = re.compile(r"[.!?؟…]\W*$")
# Voice analysis: 10 ms frames; a pause is at least 120 ms that many dB below the loud frames.
_FRAME_SECONDS = 0.01
_PAUSE_SECONDS = 0.12
_PAUSE_DB = 35.0


@dataclass(frozen=True)
class _Span:
    """A stretch of text and its times within its clip, in seconds."""

    text: str
    start: float
    end: float
    sentence_end: bool


def pauses(samples: Samples, rate: int) -> list[tuple[float, float]]:
    """The voice's pauses inside a clip, (start, end) in seconds, without leading/trailing silence."""
    width = max(1, round(rate * _FRAME_SECONDS))
    count = len(samples) // width
    if count == 0:
        return []
    frames = np.asarray(samples[: count * width], dtype=np.float64).reshape(count, width)
    level = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    quiet = level < np.percentile(level, 90) - _PAUSE_DB
    # Runs of quiet frames [start, end), neither at the clip's edge, long enough to be a pause.
    edges = np.diff(np.concatenate(([0], quiet.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = (starts > 0) & (ends < count) & ((ends - starts) * _FRAME_SECONDS >= _PAUSE_SECONDS)
    return [
        (int(a) * width / rate, int(b) * width / rate) for a, b in zip(starts[keep], ends[keep], strict=True)
    ]


def _voiced(samples: Samples, rate: int) -> tuple[float, float]:
    """Where the voice starts and ends inside a clip (engines pad their clips with silence)."""
    loud = np.flatnonzero(
        np.abs(samples) > 10 ** (-_PAUSE_DB / 20) * max(float(np.max(np.abs(samples))), 1e-9)
    )
    if len(loud) == 0:
        return 0.0, len(samples) / rate
    return float(loud[0]) / rate, float(loud[-1] + 1) / rate


def clauses(text: str) -> list[str]:
    return [part for part in _CLAUSE_END.split(text.strip()) if part]


def _match(
    expected: Sequence[float], found: Sequence[tuple[float, float]], tolerance: float
) -> list[int | None]:
    """Each expected boundary's pause (index into `found`) or None: the in-order matching with
    the least total distance, an unmatched boundary costing `tolerance`."""
    k, p = len(expected), len(found)
    middles = [(a + b) / 2 for a, b in found]
    cost = np.full((k + 1, p + 1), np.inf)
    cost[0, :] = 0.0
    choice: dict[tuple[int, int], tuple[int, int, bool]] = {}
    for i in range(1, k + 1):
        for j in range(p + 1):
            best, how = cost[i - 1, j] + tolerance, (i - 1, j, False)
            if j:
                skip = cost[i, j - 1]
                if skip < best:
                    best, how = skip, (i, j - 1, False)
                distance = abs(expected[i - 1] - middles[j - 1])
                if distance < tolerance and cost[i - 1, j - 1] + distance < best:
                    best, how = cost[i - 1, j - 1] + distance, (i - 1, j - 1, True)
            cost[i, j], choice[(i, j)] = best, how
    matched: list[int | None] = [None] * k
    i, j = k, p
    while i > 0:
        pi, pj, used = choice[(i, j)]
        if used:
            matched[i - 1] = j - 1
        i, j = pi, pj
    return matched


def time_clauses(
    parts: Sequence[str],
    samples: Samples,
    rate: int,
    weigh: Callable[[str], float] = len,
) -> list[_Span]:
    """The clauses of one voiced line with their times inside its clip."""
    first, last = _voiced(samples, rate)
    if not parts:
        return []
    weights = [max(float(weigh(part)), 1.0) for part in parts]
    total = sum(weights)
    cumulative = np.cumsum(weights)[:-1] / total
    expected = [first + share * (last - first) for share in cumulative]
    found = [(a, b) for a, b in pauses(samples, rate) if first < a and b < last]
    matched = _match(expected, found, tolerance=max(1.0, 0.15 * (last - first)))
    # Anchors: (share of the text, time); boundaries without a pause are placed between them.
    anchors = [(0.0, first)]
    for share, index in zip(cumulative, matched, strict=True):
        if index is not None:
            anchors.append((float(share), (found[index][0] + found[index][1]) / 2))
    anchors.append((1.0, last))
    shares, times = zip(*anchors, strict=True)
    bounds: list[tuple[float, float]] = []
    for share, index in zip(cumulative, matched, strict=True):
        if index is not None:
            bounds.append(found[index])
        else:
            at = float(np.interp(share, shares, times))
            bounds.append((at, at))
    starts = [first] + [b for _, b in bounds]
    ends = [a for a, _ in bounds] + [last]
    return [
        _Span(part, start, max(end, start), bool(_SENTENCE_END.search(part)))
        for part, start, end in zip(parts, starts, ends, strict=True)
    ]


def _split_words(span: _Span, pieces: int, weigh: Callable[[str], float]) -> list[_Span]:
    """`span` cut between words into `pieces` of about equal weight, timed by weight."""
    words = span.text.split()
    pieces = min(pieces, len(words))
    if pieces <= 1:
        return [span]
    weights = [max(float(weigh(w)), 1.0) for w in words]
    total = sum(weights)
    groups: list[list[str]] = [[]]
    reached = 0.0
    for word, weight in zip(words, weights, strict=True):
        # Start a new piece once this one holds its share, leaving a word for each piece still due.
        if groups[-1] and reached >= total * len(groups) / pieces and len(groups) < pieces:
            groups.append([])
        groups[-1].append(word)
        reached += weight
    out, at = [], span.start
    length = span.end - span.start
    for group in groups:
        share = sum(max(float(weigh(w)), 1.0) for w in group) / total
        text = " ".join(group)
        end = at + share * length
        out.append(_Span(text, at, end, span.sentence_end and group is groups[-1]))
        at = end
    return out


def _fits_lines(text: str, style: CueStyle) -> bool:
    return all(len(line) <= style.line_chars for line in wrap(text, style).split("\n"))


def _fit(span: _Span, style: CueStyle, weigh: Callable[[str], float]) -> list[_Span]:
    pieces = max(
        math.ceil(len(span.text) / style.chars), math.ceil((span.end - span.start) / style.max_seconds)
    )
    if pieces == 1 and not _fits_lines(span.text, style):
        pieces = 2  # fits the letters, but its words do not break into lines short enough
    if pieces <= 1:
        return [span]
    result = _split_words(span, pieces, weigh)
    # Word lengths vary: split again any piece that still does not fit.
    if len(result) > 1:
        return [fitted for piece in result for fitted in _fit(piece, style, weigh)]
    return result


def _group(spans: Sequence[_Span], style: CueStyle) -> list[_Span]:
    """Clauses joined into sentences where the sentence still fits one cue."""
    out: list[_Span] = []
    for span in spans:
        last = out[-1] if out else None
        if (
            last is not None
            and not last.sentence_end
            and len(last.text) + 1 + len(span.text) <= style.chars
            and span.end - last.start <= style.max_seconds
            and _fits_lines(f"{last.text} {span.text}", style)
        ):
            out[-1] = _Span(f"{last.text} {span.text}", last.start, span.end, span.sentence_end)
        else:
            out.append(span)
    return out


def wrap(text: str, style: CueStyle) -> str:
    """The cue's text on at most `style.lines` lines, broken between words, as even as it can be."""
    if len(text) <= style.line_chars:
        return text
    words = text.split()
    best, best_score = text, math.inf
    for cut in range(1, len(words)):
        top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
        score = max(len(top), len(bottom))
        if score < best_score:
            best, best_score = f"{top}\n{bottom}", score
    return best


def line_cues(
    text: str,
    samples: Samples,
    rate: int,
    offset: float,
    style: CueStyle = CueStyle(),
    weigh: Callable[[str], float] = len,
) -> list[Cue]:
    """The cues of one voiced line whose clip starts `offset` seconds into the programme."""
    return [_placed(span, offset) for span in _line_spans(text, samples, rate, style, weigh)]


def _line_spans(
    text: str, samples: Samples, rate: int, style: CueStyle, weigh: Callable[[str], float]
) -> list[tuple[float, float, str]]:
    """(start, end, wrapped text) of each cue of a line, in seconds into its clip."""
    spans = time_clauses(clauses(text), samples, rate, weigh)
    fitted = [piece for span in spans for piece in _fit(span, style, weigh)]
    return [(s.start, s.end, wrap(s.text, style)) for s in _group(fitted, style)]


def _placed(span: tuple[float, float, str], offset: float) -> Cue:
    start, end, text = span
    return Cue(round(offset + start, 3), round(offset + end, 3), text)


_SPEECH = frozenset(kind.value for kind in SegmentKind)
_CUES_FORMAT = "producer-cues/1"
_CUES_SUFFIX = ".json"


class CueCache(FileCache):
    """Each voiced line's cues within its clip, by its clip, text, style and weighing.

    Timing a line's clauses reads its clip and weighs every clause by its speakable length (the
    lexicon over each clause): most of a re-render after a one-word edit, for lines unchanged.
    """

    def __init__(self, root: Path, max_bytes: int) -> None:
        super().__init__(root, max_bytes, (_CUES_SUFFIX,))

    @staticmethod
    def key(clip: AudioSource, text: str, style: CueStyle, weighing: str) -> str:
        material = [_CUES_FORMAT, clip.identity(), text, astuple(style), weighing]
        return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()

    def get(self, key: str) -> list[tuple[float, float, str]] | None:
        spans = self.read(self.path(key, _CUES_SUFFIX), _spans_of)
        self.found(spans is not None)
        return spans

    def put(self, key: str, spans: list[tuple[float, float, str]]) -> None:
        data = json.dumps({"format": _CUES_FORMAT, "spans": spans}, ensure_ascii=False).encode()

        def write(name: str) -> None:
            with open(name, "wb") as out:
                out.write(data)

        with contextlib.suppress(OSError):  # a cue not stored is timed again next time
            self.write(self.path(key, _CUES_SUFFIX), write)


def _spans_of(data: bytes) -> list[tuple[float, float, str]] | None:
    try:
        found = json.loads(data)
        if found["format"] != _CUES_FORMAT:
            return None
        return [(float(start), float(end), str(text)) for start, end, text in found["spans"]]
    except (ValueError, KeyError, TypeError):
        return None


def script_cues(
    script: Script,
    speech: Sequence[Sequence[AudioSource]],
    placements: Sequence[tuple[AudioSource, int, str]],
    rate: int,
    style: CueStyle = CueStyle(),
    weigh: Callable[[str], float] = len,
    *,
    cache: CueCache | None = None,
    weighing: str = "",
) -> tuple[Cue, ...]:
    """The whole programme's cues from the script, its voiced lines and where each was placed.

    `speech[i]` holds the clips of `script.segments[i]`, one per line; `placements` are
    (source, start frame at `rate`, label) in time order, as the assembler laid them out, the
    speech ones labelled with their segment's kind. Each clip is loaded once, one at a time.
    With a `cache`, a line's cues are kept under its clip, text and `weighing` (what names
    `weigh`), and a line found there is neither loaded nor weighed.
    """
    voiced = iter([(source, start) for source, start, label in placements if label in _SPEECH])
    # Every word is weighed at least twice, and the common ones on most lines: weighed once each.
    weighed = functools.cache(weigh)
    cues: list[Cue] = []
    for segment, clips in zip(script.segments, speech, strict=True):
        for line, clip in zip(segment.text.split("\n"), clips, strict=True):
            if not clip.frames:
                continue
            placed = next(voiced, None)
            if placed is None or placed[0] is not clip:
                raise AudioError("the programme's voiced lines are not the script's")
            key = CueCache.key(clip, line, style, weighing) if cache is not None else ""
            spans = cache.get(key) if cache is not None else None
            if spans is None:
                audio = clip.load()
                spans = _line_spans(line, audio.samples, audio.rate, style, weighed)
                if cache is not None:
                    cache.put(key, spans)
            cues += [_placed(span, placed[1] / rate) for span in spans]
    return tuple(cues)


def _srt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def srt_text(cues: Sequence[Cue]) -> str:
    """SubRip: numbered cues, comma before the milliseconds, a blank line after each."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        text = re.sub(r"\n\s*\n+", "\n", cue.text).strip()
        blocks.append(f"{number}\n{_srt_time(cue.start)} --> {_srt_time(cue.end)}\n{text}\n")
    return "\n".join(blocks)


def write_srt(cues: Sequence[Cue], out: Path) -> None:
    try:
        atomic_write_text(out, srt_text(cues))
    except OSError as exc:
        raise AudioError(f"cannot write {out}: {exc.strerror or exc}") from exc
