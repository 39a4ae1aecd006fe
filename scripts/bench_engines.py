"""Real-time factor of each TTS engine on this machine, and of the cached, parallel segment path.

    python scripts/bench_engines.py [--repeat N] [--workers N]

RTF = seconds spent / seconds of speech produced (lower is faster). espeak-ng is measured for real.
Piper runs the tests' generated tiny voice and gTTS a local fake endpoint (tests/tts), so their
figures show this pipeline's own overhead (phonemizing, diacritizing, HTTP, MP3 decoding), not the
speed of a real neural voice or of Google.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tts"))  # the generated test voice and the fake Google

from fake_google import FakeGoogle  # noqa: E402
from make_test_voice import make_test_voice  # noqa: E402

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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
