"""The CLI contract end to end: real espeak-ng, real ffmpeg, files read back with independent tools."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from subprocess import CompletedProcess

import numpy as np
import pytest
import soundfile as sf
import webvtt
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from producer.audio.ffmpeg import decode_file, ffmpeg_exe
from producer.cli import _progress_bar
from producer.resources import bundled

PRODUCER = [sys.executable, "-m", "producer"]


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> CompletedProcess:
    return subprocess.run(
        [*PRODUCER, *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=600,
        check=False,
    )


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) measured by ffmpeg's own meter."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = proc.stderr[proc.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def best_correlation(signal: np.ndarray, reference: np.ndarray, max_lag: int) -> float:
    """Highest normalized correlation of `reference` against `signal` over lags 0..max_lag."""
    n = len(reference)
    ref = reference / (np.linalg.norm(reference) + 1e-12)
    best = 0.0
    for lag in range(0, max_lag, 8):
        window = signal[lag : lag + n]
        if len(window) < n:
            break
        best = max(best, float(np.dot(window, ref) / (np.linalg.norm(window) + 1e-12)))
    return best


@pytest.fixture(scope="module")
def podcast(tmp_path_factory, examples) -> Path:
    out = tmp_path_factory.mktemp("podcast") / "bulletin.mp3"
    proc = run("build", *map(str, examples), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def example_headlines(examples) -> list[str]:
    return [run("clean", str(p)).stdout.decode().split("\n", 1)[0] for p in examples]


def test_podcast_loudness_and_true_peak_measured_by_ffmpeg(podcast):
    integrated, peak = ebur128(podcast)
    assert -20.0 <= integrated <= -18.0  # mono: -16 LUFS as played on two channels
    assert peak <= -1.0


def test_podcast_tags_and_chapters_read_back(podcast, examples):
    audio = MP3(podcast)
    assert audio.info.sample_rate == 44100
    assert audio.info.length > 30
    tags = ID3(podcast)
    assert tags.version[:2] == (2, 3)
    assert str(tags["TPE1"]) == "راديو ألوان"
    assert str(tags["TALB"]) == "نشرة الأخبار"
    assert str(tags["TLAN"]) == "ara"
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    headlines = example_headlines(examples)
    assert [str(c.sub_frames["TIT2"]) for c in chapters][-3:] == headlines
    starts = [c.start_time for c in chapters]
    assert starts[0] == 0 and str(chapters[0].sub_frames["TIT2"]) == "العناوين"
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert chapters[-1].end_time <= audio.info.length * 1000 + 50
    toc = tags.getall("CTOC")[0]
    assert list(toc.child_element_ids) == [c.element_id for c in chapters]


def test_transcript_cues_increase_inside_the_duration(podcast):
    duration = MP3(podcast).info.length
    vtt = podcast.with_suffix(".vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    times = re.findall(r"(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})", vtt)
    assert len(times) >= 9

    def seconds(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    spans = [(seconds(*t[:4]), seconds(*t[4:])) for t in times]
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        assert start < end <= next_start
    assert spans[-1][1] <= duration
    assert "عودة المياه إلى 12 حيا" in vtt


def test_chapters_json_follows_podcasting_2_0(podcast, examples):
    data = json.loads(podcast.with_suffix(".chapters.json").read_text(encoding="utf-8"))
    assert data["version"] == "1.2.0"
    titles = [c["title"] for c in data["chapters"]]
    assert titles[-3:] == example_headlines(examples)
    starts = [c["startTime"] for c in data["chapters"]]
    assert starts == sorted(starts)


def test_opens_with_the_intro_jingle_and_closes_with_the_outro(podcast):
    rate = 44100
    programme = decode_file(podcast, rate).samples
    intro = decode_file(bundled("audio") / "intro.ogg", rate).samples[: 2 * rate]
    outro = decode_file(bundled("audio") / "outro.ogg", rate).samples
    assert best_correlation(programme[: 3 * rate], intro, 3000) > 0.9
    tail = outro[-int(1.5 * rate) :]
    assert best_correlation(programme[-3 * rate :], tail, int(1.5 * rate)) > 0.9
    # and the middle of the longest transcript cue is speech, not a jingle
    cues = webvtt.read(str(podcast.with_suffix(".vtt")))
    cue = max(cues, key=lambda c: c.end_in_seconds - c.start_in_seconds)
    centre = round((cue.start_in_seconds + cue.end_in_seconds) / 2 * rate)
    middle = programme[centre - rate : centre + rate]
    assert best_correlation(middle, intro[:rate], rate) < 0.5


def test_broadcast_target_is_48k_24bit_at_minus_23(tmp_path, examples):
    out = tmp_path / "bulletin.wav"
    proc = run("build", str(examples[0]), "-o", str(out), "--target", "broadcast", "--quiet")
    assert proc.returncode == 0, proc.stderr.decode()
    info = sf.info(out)
    assert (info.samplerate, info.subtype) == (48000, "PCM_24")
    integrated, peak = ebur128(out)
    assert -24.0 <= integrated <= -22.0
    assert peak <= -1.0
    assert out.with_suffix(".vtt").is_file() and out.with_suffix(".chapters.json").is_file()


def test_edited_script_is_voiced_as_edited(tmp_path, examples):
    script = tmp_path / "bulletin.script"
    assert run("script", str(examples[1]), "-o", str(script)).returncode == 0
    text = script.read_text(encoding="utf-8")
    assert "[story 1]" in text
    script.write_text(text.replace("ثلاث مدارس جديدة", "أربع مدارس جديدة"), encoding="utf-8")
    out = tmp_path / "edited.mp3"
    proc = run("build", str(script), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr.decode()
    vtt = out.with_suffix(".vtt").read_text(encoding="utf-8")
    assert "أربع مدارس جديدة" in vtt and "ثلاث مدارس جديدة" not in vtt


def test_clean_reads_stdin_bom_and_windows_1256(tmp_path):
    body = (
        "قال مسؤول في المجلس المحلي إن أعمال الصيانة ستنتهي خلال أسبوعين، وإن المياه ستعود إلى الأحياء كلها."
    )
    article = f"عودة المياه إلى الأحياء الشرقية\n\nعودة المياه إلى الأحياء الشرقية\n\n{body}\n\nالوسوم\n"
    expected = f"عودة المياه إلى الأحياء الشرقية\n{body}\n"
    for data in (article.encode(), b"\xef\xbb\xbf" + article.encode(), article.encode("cp1256")):
        proc = run("clean", "-", stdin=data)
        assert proc.returncode == 0, proc.stderr.decode()
        assert proc.stdout.decode() == expected


def test_speakable_keeps_one_line_per_input_line():
    proc = run("speakable", "--no-diacritics", "-", stdin="شنت الطائرات 5 غارات\n\nوصلت 11 حافلة\n".encode())
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode() == "شنت الطائرات خمسَ غارات\n\nوصلت إحدى عشرةَ حافلة\n"


RAW_PAGE = """الرئيسية
أخبار
سياسة
اقتصاد
عاجل | وزير الخارجية يستقبل 4 وفود عربية في دمشق
افتتاح 3 مدارس جديدة في ريف حمص - الوطن أونلاين
افتتاح 3 مدارس جديدة في ريف حمص
كتب: سامر علي
آخر تحديث: 15 أيلول 2024
افتتحت مديرية التربية في حمص، اليوم الأحد، 3 مدارس جديدة في الريف الشمالي، بعد أعمال ترميم استمرت \
أشهرا طويلة بتمويل من منظمات محلية.
وقال مدير التربية إن كل مدرسة تضم 8 قاعات، وإن الدوام فيها يبدأ الأسبوع المقبل.
شارك
فيسبوك
الوسوم
حمص
"""


def test_speakable_page_cleans_first_and_prints_what_the_voice_reads(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(RAW_PAGE, encoding="utf-8")
    proc = run("speakable", "--no-diacritics", "--page", str(page))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode() == (
        # Case vowels where a word decides the case (افتتاح governs, تضم takes an object); after
        # the commas the clause runs on from its verb, so the diacritizer chooses there.
        "افتتاح ثلاثِ مدارس جديدة في ريف حمص\n"
        "افتتحت مديرية التربية في حمص، اليوم الأحد، ثلاث مدارس جديدة في الريف الشمالي، بعد أعمال ترميم "
        "استمرت أشهرا طويلة بتمويل من منظمات محلية.\n"
        "وقال مدير التربية إن كل مدرسة تضم ثمانيَ قاعات، وإن الدوام فيها يبدأ الأسبوع المقبل.\n"
    )
    # Without --page the page is taken as script text: every line is mapped, furniture included.
    raw = run("speakable", "--no-diacritics", str(page)).stdout.decode().splitlines()
    assert len(raw) == len(RAW_PAGE.splitlines())
    assert {"فيسبوك", "الوسوم", "آخر تحديث: الخامس عشر من أيلول عام ألفين وأربعة وعشرين"} <= set(raw)


def test_speakable_page_is_clean_then_speakable_with_the_engines_diacritics(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(RAW_PAGE, encoding="utf-8")
    cleaned = run("clean", str(page))
    assert cleaned.returncode == 0, cleaned.stderr.decode()
    piped = run("speakable", "-", stdin=cleaned.stdout)
    direct = run("speakable", "--page", str(page))
    assert direct.returncode == 0, direct.stderr.decode()
    assert direct.stdout == piped.stdout
    assert len(direct.stdout.decode().splitlines()) == 3
    assert re.search("[\u064b-\u0652]", direct.stdout.decode())  # the engine's diacritics are in


def test_speakable_page_without_article_is_a_one_line_error(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("الرئيسية\nشارك الخبر\nفيسبوك تويتر واتساب\nالتعليقات\n", encoding="utf-8")
    assert "no article text" in one_line_error(run("speakable", "--page", str(page)))


def one_line_error(proc: CompletedProcess) -> str:
    assert proc.returncode != 0
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("producer: error: ")
    return lines[0]


def no_outputs(out: Path) -> bool:
    return not any(out.parent.glob(out.stem + "*")) and not any(out.parent.glob(".producer-*"))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t\n  ", "empty"),
        (b"Only English words here, no Arabic at all.", "Arabic"),
        (bytes(range(256)) * 8, "binary"),
    ],
)
def test_bad_articles_fail_with_one_line_and_no_output(tmp_path, content, reason):
    src = tmp_path / "article.txt"
    src.write_bytes(content)
    out = tmp_path / "out" / "b.mp3"
    out.parent.mkdir()
    for args in (["clean", str(src)], ["build", str(src), "-o", str(out), "--quiet"]):
        assert reason.lower() in one_line_error(run(*args)).lower()
    assert no_outputs(out)


def test_missing_file(tmp_path):
    assert "no such file" in one_line_error(run("clean", str(tmp_path / "nope.txt")))


def test_unwritable_output_leaves_nothing(tmp_path, examples):
    locked = tmp_path / "locked"
    locked.mkdir()
    out = locked / "missing-dir" / "b.mp3"
    assert "cannot write" in one_line_error(run("build", str(examples[0]), "-o", str(out), "--quiet"))
    assert not out.parent.exists()


def test_broken_jingle_fails_cleanly(tmp_path, examples):
    broken = tmp_path / "intro.mp3"
    broken.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00 this is not audio" * 10)
    out = tmp_path / "b.mp3"
    proc = run(
        "build", str(examples[0]), "-o", str(out), "--quiet", env={"PRODUCER_JINGLE_INTRO": str(broken)}
    )
    assert "intro.mp3" in one_line_error(proc)
    assert no_outputs(out)


def test_output_extension_must_match_target(tmp_path, examples):
    out = tmp_path / "b.mp3"
    assert "broadcast" in one_line_error(
        run("build", str(examples[0]), "-o", str(out), "--target", "broadcast")
    )
    assert no_outputs(out)


def test_unknown_voice_and_engine_are_refused_before_any_work(tmp_path, examples):
    out = tmp_path / "b.mp3"
    assert "no voice 'ar+x9'" in one_line_error(
        run("build", str(examples[0]), "-o", str(out), "--voice", "ar+x9")
    )
    assert "no TTS engine 'festival'" in one_line_error(
        run("build", str(examples[0]), "-o", str(out), "--engine", "festival")
    )
    assert no_outputs(out)


def test_offline_gtts_says_why_in_one_line(tmp_path, examples):
    out = tmp_path / "b.mp3"
    env = {"PRODUCER_GTTS_BASE_URL": "http://127.0.0.1:9"}  # nothing listens on the discard port
    assert (
        "google"
        in one_line_error(run("build", str(examples[0]), "-o", str(out), "--engine", "gtts", env=env)).lower()
    )
    assert no_outputs(out)


def test_the_progress_bar_runs_no_thread_of_its_own() -> None:
    """With a second thread running, a build must start its voicing workers from a forkserver
    (the program imported again) instead of forking them at once."""
    before = threading.active_count()
    with _progress_bar(quiet=False) as report:
        assert report is not None
        report(0.5, "synthesize")
        assert threading.active_count() == before
