"""Transcript cues: sentences and clauses timed from the voice, read back by ffmpeg's own demuxers."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from producer.audio.ffmpeg import ffmpeg_exe
from producer.errors import AudioError
from producer.models import Clip, Cue, Script, Segment, SegmentKind
from producer.scriptfile import script_from_text
from producer.transcript import CueCache, CueStyle, line_cues, script_cues, srt_text, wrap
from tests.conftest import ALWAN_PAGE
from tests.test_cli import run

RATE = 16000


def voice(*bursts: float, pause: float = 0.3, lead: float = 0.1) -> np.ndarray:
    """Tone bursts of the given lengths with `pause` of silence between them: a stand-in voice."""
    parts = [np.zeros(round(lead * RATE))]
    for number, length in enumerate(bursts):
        if number:
            parts.append(np.zeros(round(pause * RATE)))
        t = np.arange(round(length * RATE)) / RATE
        parts.append(0.5 * np.sin(2 * np.pi * 220 * t))
    parts.append(np.zeros(round(lead * RATE)))
    return np.concatenate(parts).astype(np.float32)


def test_clauses_take_the_times_of_the_pauses_not_of_their_letters():
    # The voice's lengths are far from the letters' proportions: only the pauses time them right.
    text = "قال الوزير في بيان رسمي صدر أمس، إن الحكومة. ستبدأ العمل غدا."
    cues = line_cues(text, voice(1.0, 2.5, 1.0), RATE, offset=10.0, style=CueStyle(max_seconds=7.0))
    # The first two clauses are one sentence, under 7 s and 84 letters: one cue on two lines.
    assert [c.text for c in cues] == ["قال الوزير في بيان رسمي\nصدر أمس، إن الحكومة.", "ستبدأ العمل غدا."]
    assert cues[0].start == pytest.approx(10.1, abs=0.011)
    assert cues[0].end == pytest.approx(10.1 + 1.0 + 0.3 + 2.5, abs=0.011)
    assert cues[1].start == pytest.approx(10.1 + 1.0 + 0.3 + 2.5 + 0.3, abs=0.011)
    assert cues[1].end == pytest.approx(10.1 + 1.0 + 0.3 + 2.5 + 0.3 + 1.0, abs=0.011)


class _Unreadable(Clip):
    """A clip whose audio can no longer be read: only its identity is left."""

    def load(self) -> Clip:
        raise AudioError("read")


def test_cached_cues_are_the_cues_and_spare_reading_and_weighing_the_line(tmp_path: Path):
    text = "قال الوزير في بيان رسمي صدر أمس، إن الحكومة. ستبدأ العمل غدا."
    script = Script(
        "t", "s", "p", datetime(2025, 3, 4), (), (Segment(SegmentKind.STORY, f"{text}\n{text}", 0),)
    )
    clips = [Clip(voice(1.0, 2.5, 1.0), RATE), Clip(voice(2.0, 1.0, 1.0), RATE)]
    placements = [(clips[0], 0, "story"), (clips[1], 9 * RATE, "story")]
    cache = CueCache(tmp_path, 1 << 20)
    first = script_cues(script, [clips], placements, RATE, cache=cache, weighing="w1")
    assert first == script_cues(script, [clips], placements, RATE)  # as without a cache
    assert first[0].start == pytest.approx(0.1, abs=0.011) and first[-1].start > 9.0
    weighed: list[str] = []

    def weigh(part: str) -> float:
        weighed.append(part)
        return len(part)

    unreadable = [_Unreadable(c.samples, c.rate) for c in clips]
    moved = [(unreadable[0], 0, "story"), (unreadable[1], 12 * RATE, "story")]
    again = script_cues(script, [unreadable], moved, RATE, weigh=weigh, cache=cache, weighing="w1")
    assert again[: len(again) // 2] == first[: len(first) // 2] and weighed == []
    assert again[-1].start == pytest.approx(first[-1].start + 3.0, abs=0.002)
    with pytest.raises(AudioError):  # weighed otherwise: not what the cache holds
        script_cues(script, [unreadable], moved, RATE, weigh=weigh, cache=cache, weighing="w2")


def test_a_sentence_longer_than_a_cue_is_cut_at_its_clauses():
    text = "قال الوزير، إن الحكومة، ستبدأ العمل غدا."
    cues = line_cues(text, voice(3.0, 3.0, 3.0), RATE, offset=0.0)
    assert [c.text for c in cues] == ["قال الوزير، إن الحكومة،", "ستبدأ العمل غدا."]
    assert cues[0].end == pytest.approx(0.1 + 6.3, abs=0.011)
    assert cues[1].start == pytest.approx(0.1 + 6.6, abs=0.011)


def test_a_clause_without_pauses_is_cut_between_words_into_cues_that_fit():
    text = " ".join(["كلمة"] * 60) + "."
    cues = line_cues(text, voice(20.0), RATE, offset=0.0)
    assert " ".join(" ".join(c.text.split()) for c in cues) == text
    for cue in cues:
        assert cue.end - cue.start <= 7.0
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    assert cues[0].start == pytest.approx(0.1, abs=0.011) and cues[-1].end == pytest.approx(20.1, abs=0.011)


def test_wrap_balances_two_lines():
    assert wrap("روسيا تقول إنّها قتلت أمير ديرالزور، وقسد تعلن بدء العمليّات", CueStyle()) == (
        "روسيا تقول إنّها قتلت أمير\nديرالزور، وقسد تعلن بدء العمليّات"
    )


def test_a_clause_whose_words_break_badly_into_two_lines_becomes_two_cues():
    # 80 letters, but split into two lines one of them would be longer than 42.
    text = "أ" * 30 + " " + "ب" * 30 + " " + "ج" * 18 + "."
    cues = line_cues(text, voice(4.0), RATE, offset=0.0)
    assert len(cues) == 2
    assert all(len(line) <= 42 for cue in cues for line in cue.text.split("\n"))


def test_srt_numbers_cues_with_comma_milliseconds():
    assert srt_text([Cue(1.5, 3661.25, "سطر\n\nثان")]) == "1\n00:00:01,500 --> 01:01:01,250\nسطر\nثان\n"


def demuxed(path: Path) -> list[tuple[float, float, str]]:
    """(start, end, text) of every cue as ffmpeg's own WebVTT or SubRip demuxer reads it."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "srt", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    cues = []
    for block in proc.stdout.strip().split("\n\n"):
        _number, times, text = block.split("\n", 2)
        start, end = (
            sum(float(x) * f for x, f in zip(t.replace(",", ".").split(":"), (3600, 60, 1), strict=True))
            for t in times.split(" --> ")
        )
        cues.append((start, end, text))
    return cues


@pytest.fixture(scope="module")
def alwan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("alwan") / "alwan.mp3"
    assert run("script", str(ALWAN_PAGE), "-o", str(out.with_suffix(".script"))).returncode == 0
    proc = run("build", str(out.with_suffix(".script")), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def test_a_real_bulletins_cues_are_short_and_agree_in_vtt_srt_and_chapters(alwan):
    vtt, srt = alwan.with_suffix(".vtt"), alwan.with_suffix(".srt")
    in_vtt, in_srt = demuxed(vtt), demuxed(srt)
    assert in_vtt == in_srt and len(in_vtt) > 40
    for start, end, text in in_vtt:
        assert 0 < end - start <= 8.0
        lines = text.split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= 42 or " " not in line for line in lines)
    starts = [start for start, _, _ in in_vtt]
    assert starts == sorted(starts)
    texts = [text for _, _, text in in_vtt]
    # The cues carry the whole script, word for word and in order.
    script = script_from_text(alwan.with_suffix(".script").read_text(encoding="utf-8"))
    words = " ".join(texts).split()
    # The greeting is said as of the render (pipeline.at_render_time): compare around it.
    before = " ".join(seg.text for seg in script.segments[:1]).split()
    after = " ".join(seg.text for seg in script.segments[2:]).split()
    assert script.segments[1].kind is SegmentKind.GREETING
    assert words[: len(before)] == before and words[-len(after) :] == after
    # No cue straddles a chapter's start: a player showing the chapter shows its own words.
    chapters = json.loads(alwan.with_suffix(".chapters.json").read_text(encoding="utf-8"))["chapters"]
    for chapter in chapters[1:]:
        at = chapter["startTime"]
        assert not any(start < at < end - 0.001 for start, end, _ in in_vtt)
