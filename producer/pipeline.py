"""The whole pipeline, wired from its stages: stories → script → speech → programme → episode files.

This is the one place that turns Settings into the small option objects each stage takes; the CLI,
the web app and the job worker all call these functions, so every edge builds the same bulletin.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from producer.arabic import Diacritizer, Lexicon, get_diacritizer, speakable
from producer.arabic.diacritize import MODEL_ID
from producer.arabic.speech import ClockDial
from producer.bulletin import TEMPLATE_NAMES, BulletinOptions, compose
from producer.errors import InputError, ProducerError
from producer.models import Chapter, Cue, EpisodeMeta, Script, SegmentKind, Story, Target
from producer.settings import Settings
from producer.tts.synth import Preparation, VoicedCallback

if TYPE_CHECKING:
    from producer.transcript import CueCache
    from producer.tts.base import Engine
    from producer.tts.cache import SpeechClip

Progress = Callable[[float, str], None]
T = TypeVar("T")

# Share of the progress bar voicing gets; mastering and encoding the parts get the rest.
_SYNTH_SHARE = 0.5


@dataclass(frozen=True)
class EpisodeFiles:
    audio: Path
    transcript: Path
    chapters: Path
    subtitles: Path
    duration: float
    chapters_list: tuple[Chapter, ...]
    cues: tuple[Cue, ...]


def folder_templates(folder: Path | None) -> dict[str, str]:
    """The templates a folder holds as NAME.j2 files (PRODUCER_TEMPLATES_DIR), by name."""
    if folder is None:
        return {}
    texts = {}
    for name in TEMPLATE_NAMES:
        try:
            texts[name] = (folder / f"{name}.j2").read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the template {folder / name}.j2: {exc}") from exc
    return texts


def bulletin_options(settings: Settings, templates: Mapping[str, str] | None = None) -> BulletinOptions:
    """The station's names and templates: `templates` as given, or else those of the templates folder."""
    chosen = folder_templates(settings.templates_dir) if templates is None else templates
    return BulletinOptions(settings.station_name, settings.programme_name, chosen)


def compose_script(
    stories: Sequence[Story],
    settings: Settings,
    *,
    templates: Mapping[str, str] | None = None,
    title: str | None = None,
    now: datetime | None = None,
) -> Script:
    options = bulletin_options(settings, templates)
    return compose(stories, options, now or datetime.now(ZoneInfo(settings.timezone)), title=title)


def at_render_time(
    script: Script,
    settings: Settings,
    now: datetime | None = None,
    *,
    templates: Mapping[str, str] | None = None,
) -> Script:
    """The script with its time-bound lines (the greeting's date and clock) said as of `now`.

    A script may be voiced hours after it was composed. Only the lines the templates wrote that
    are still exactly as composed are written again; a line staff edited is voiced as edited.
    """
    stories: dict[int, Story] = {}
    for segment in script.segments:
        if segment.kind is SegmentKind.STORY and segment.story is not None:
            headline, *paragraphs = segment.text.split("\n")
            stories.setdefault(segment.story, Story(headline, tuple(paragraphs)))
    if sorted(stories) != list(range(len(stories))) or not stories:
        return script
    ordered = [stories[number] for number in range(len(stories))]
    options = bulletin_options(settings, templates)
    try:
        then = compose(ordered, options, script.created)
        fresh = compose(ordered, options, now or datetime.now(ZoneInfo(settings.timezone)))
    except ProducerError:
        return script  # the templates changed since: the script is voiced as it stands
    kinds = [seg.kind for seg in script.segments]
    if kinds != [seg.kind for seg in then.segments] or kinds != [seg.kind for seg in fresh.segments]:
        return script
    segments = tuple(
        new if current == old and current.kind is not SegmentKind.STORY else current
        for current, old, new in zip(script.segments, then.segments, fresh.segments, strict=True)
    )
    return replace(script, segments=segments)


def sidecar_paths(audio: Path) -> tuple[Path, Path, Path]:
    """OUT.mp3 → (OUT.vtt, OUT.chapters.json, OUT.srt), the files written beside the audio."""
    return audio.with_suffix(".vtt"), audio.with_suffix(".chapters.json"), audio.with_suffix(".srt")


def target_for(out_audio: Path, target: Target | None) -> Target:
    """The target named, or the one the output's extension implies; a mismatch is an error."""
    by_suffix = {".mp3": Target.PODCAST, ".wav": Target.BROADCAST}
    implied = by_suffix.get(out_audio.suffix.lower())
    if implied is None:
        raise InputError(f"the output must end in .mp3 (podcast) or .wav (broadcast): {out_audio.name}")
    if target is not None and target != implied:
        wanted = "mp3" if target == Target.PODCAST else "wav"
        raise InputError(f"the {target} target writes .{wanted}, but the output is {out_audio.name}")
    return implied


def speakable_lines(
    lines: Sequence[str], lexicon: Lexicon, *, diacritize: bool, clock: ClockDial = "12h"
) -> list[str]:
    """Exactly what the engine is fed, one line per input line."""
    spoken = [speakable(line, lexicon=lexicon, clock=clock) for line in lines]
    # One call for every line: the model is loaded once, and lines of equal length share a model run.
    return get_diacritizer().diacritize(spoken) if diacritize else spoken


def per_line(texts: Sequence[str], transform: Callable[[list[str]], Sequence[T]]) -> list[tuple[T, ...]]:
    """A batch transform of every line of multi-line texts in one call, its results grouped back
    by text (one per line)."""
    groups = [text.split("\n") for text in texts]
    flat = transform([line for group in groups for line in group])
    out, pos = [], 0
    for group in groups:
        out.append(tuple(flat[pos : pos + len(group)]))
        pos += len(group)
    return out


def map_lines(texts: Sequence[str], transform: Callable[[list[str]], list[str]]) -> list[str]:
    """Apply a batch line transform to multi-line texts in one call, keeping each text's lines."""
    return ["\n".join(lines) for lines in per_line(texts, transform)]


def speakable_texts(
    texts: Sequence[str], lexicon: Lexicon, *, diacritize: bool, clock: ClockDial = "12h"
) -> list[str]:
    """Exactly what the engine is fed for each multi-line text (a script's segments), line for line,
    in one call for all of them so the lexicon is compiled and the model run once."""
    return map_lines(texts, lambda lines: speakable_lines(lines, lexicon, diacritize=diacritize, clock=clock))


# The models ship in the text2tashkeel wheel (a new release may bring new models); the pausal
# form is part of what the engine is fed.
DIACRITIZER_ID = f"{MODEL_ID}-pausal"


class _Diacritize:
    """Lines diacritized by a model loaded on first use, once per process that voices.

    It pickles without its model, so each voicing process loads its own. One thread each: the
    processes voicing in parallel already keep every core busy.
    """

    def __init__(self) -> None:
        self._model: Diacritizer | None = None
        self._lock = threading.Lock()  # engines voicing in threads share one model

    def __reduce__(self) -> tuple[type[_Diacritize], tuple[()]]:
        return (_Diacritize, ())

    def load_ahead(self) -> None:
        """Load the model in a thread while the caller goes on; a call waits for it (and raises
        what the load raised, by loading again)."""

        def load() -> None:
            with suppress(ProducerError):
                self._loaded()

        threading.Thread(target=load, name="diacritizer-load", daemon=True).start()

    def _loaded(self) -> Diacritizer:
        with self._lock:
            if self._model is None:
                self._model = Diacritizer(threads=1)
            return self._model

    def __call__(self, texts: list[str]) -> list[str]:
        return map_lines(texts, self._loaded().diacritize)


def diacritization() -> Preparation:
    """Diacritize cache misses, each where it is voiced, with a model loaded for this build only.

    The model's session holds ~50 MB; dropping it once the speech is voiced keeps it out of the
    peak memory of assembling and encoding a long programme.
    """
    apply = _Diacritize()
    return Preparation(name=DIACRITIZER_ID, apply=apply, load_ahead=apply.load_ahead)


def voice_lines(
    tts: Engine,
    texts: Sequence[str],
    *,
    voice: str | None,
    settings: Settings,
    on_progress: Callable[[int, int], None] | None = None,
    on_voiced: VoicedCallback | None = None,
) -> list[tuple[SpeechClip, ...]]:
    """Each speakable text voiced line by line, the lines cached one by one.

    A line is a paragraph: an edit re-voices only the paragraphs it changed, and the pauses
    between paragraphs are where an encoded programme can be cut. Diacritics, when the engine
    wants them, are added inside synthesis to cache misses only. With `on_voiced` (told each
    line's position among all the texts' lines) the lines are voiced in order, so whole stories
    are ready early.
    """
    from producer.tts.registry import open_cache
    from producer.tts.synth import synthesize_segments

    return per_line(
        texts,
        lambda lines: synthesize_segments(
            tts,
            lines,
            voice=voice,
            cache=open_cache(settings),
            workers=settings.workers,
            on_progress=on_progress,
            prepare=diacritization() if tts.wants_diacritics else None,
            on_voiced=on_voiced,
            in_order=on_voiced is not None,
        ),
    )


def open_cue_cache(settings: Settings) -> CueCache:
    """The voiced lines' transcript cues, beside the voiced segments (a small share of the cache)."""
    from producer.transcript import CueCache

    return CueCache(settings.cache_dir / "cues", max(1, settings.cache_max_mb // 50) * 1024 * 1024)


def weighing(lexicon: Lexicon, clock: ClockDial) -> str:
    """Names how cues weigh their text (its speakable length): the lexicon's entries and the dial."""
    material = [[entry.pattern, entry.replacement] for entry in lexicon.entries()]
    return hashlib.sha256(json.dumps([material, clock], ensure_ascii=False).encode()).hexdigest()


def build_episode(
    script: Script,
    out_audio: Path,
    *,
    settings: Settings,
    engine: str | None = None,
    voice: str | None = None,
    target: Target | None = None,
    progress: Progress | None = None,
    lexicon: Lexicon | None = None,
    templates: Mapping[str, str] | None = None,
) -> EpisodeFiles:
    """Voice, assemble, master and encode `script` into OUT + OUT.vtt + OUT.srt + OUT.chapters.json.

    `lexicon` is the station's (the shipped one if None); `templates` are the station's, which
    say the greeting's date and time again as of now (see at_render_time).
    All four files appear together or not at all: they are written under temporary names in the
    output folder and renamed at the end, so a failure leaves nothing half-written.
    """
    # Imported here: scipy and the engines take ~0.6 s to import, which `producer script` need not pay.
    from producer.audio import mp3
    from producer.audio.ahead import EncodeAhead
    from producer.audio.assemble import Pacing, plan_programme
    from producer.audio.assets import default_assets
    from producer.audio.encode import encode, write_chapters_json, write_vtt
    from producer.audio.master import TARGETS
    from producer.audio.parts import PartEncoder, open_part_cache
    from producer.transcript import script_cues, write_srt
    from producer.tts.registry import create_engine

    report = progress or (lambda _fraction, _stage: None)
    script = at_render_time(script, settings, templates=templates)
    chosen = TARGETS[target_for(out_audio, target)]
    lufs = settings.podcast_lufs if chosen.container == "mp3" else settings.broadcast_lufs
    chosen = replace(chosen, lufs=lufs)
    out_dir = out_audio.parent
    if not out_dir.is_dir() or not os.access(out_dir, os.W_OK):
        raise InputError(f"cannot write to the output folder {out_dir}")
    with ExitStack() as stack:
        tts = create_engine(engine or settings.engine, settings)
        stack.callback(tts.close)
        voice = voice or settings.voice
        if voice and voice not in tts.voices():
            raise InputError(
                f"the {tts.name} engine has no voice {voice!r}; it has {', '.join(tts.voices())}"
            )
        report(0.0, "speakable")
        lexicon = Lexicon.default() if lexicon is None else lexicon
        texts = speakable_texts(
            [seg.text for seg in script.segments], lexicon, diacritize=False, clock=settings.clock_dial
        )
        assets = default_assets(
            chosen.rate,
            intro=settings.jingle_intro,
            outro=settings.jingle_outro,
            stinger=settings.stinger,
            bed=settings.music_bed,
            use_bed=settings.music_bed is not None,
        )
        # MP3 is encoded in parts that start on its frame grid (see audio.parts); the parts of
        # what is voiced are encoded while the rest is voiced (see audio.ahead).
        granule = mp3.FRAME if chosen.container == "mp3" else 1
        pacing = Pacing(bed_lu=settings.bed_level_lu)
        encoder = ahead = None
        if chosen.container == "mp3":
            encoder = stack.enter_context(
                PartEncoder(chosen, open_part_cache(settings), workers=settings.workers)
            )
            lines = [len(text.split("\n")) for text in texts]
            ahead = EncodeAhead(script, lines, assets, encoder, pacing=pacing, granule=granule)
        speech = voice_lines(
            tts,
            texts,
            voice=voice,
            settings=settings,
            on_progress=lambda done, total: report(_SYNTH_SHARE * done / max(total, 1), "synthesize"),
            on_voiced=ahead.voiced if ahead else None,
        )
        report(_SYNTH_SHARE, "assemble")
        programme = plan_programme(script, speech, assets, rate=chosen.rate, pacing=pacing, granule=granule)
        # Sentence and clause cues timed from each line's own voice, instead of a cue per segment.
        cues = script_cues(
            script,
            speech,
            [(p.source, p.start, p.label) for p in programme.placements],
            programme.rate,
            weigh=lambda text: len(speakable(text, lexicon=lexicon, clock=settings.clock_dial)),
            cache=open_cue_cache(settings),
            weighing=weighing(lexicon, settings.clock_dial),
        )
        meta = EpisodeMeta(
            title=script.title,
            station=script.station,
            programme=script.programme,
            created=script.created,
            chapters=programme.chapters,
            cues=cues,
        )
        vtt, chapters, srt = sidecar_paths(out_audio)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=out_dir, prefix=".producer-")))
        tmp_audio, tmp_vtt, tmp_chapters, tmp_srt = (tmp / p.name for p in (out_audio, vtt, chapters, srt))
        report(_SYNTH_SHARE, "encode")
        encode(
            programme,
            chosen,
            tmp_audio,
            meta,
            encoder=encoder,
            station_ascii=settings.station_ascii,
            valid_hours=settings.cart_expiry_hours,
            on_progress=lambda done, total: report(
                _SYNTH_SHARE + (1 - _SYNTH_SHARE) * done / max(total, 1), "encode"
            ),
        )
        write_vtt(cues, tmp_vtt)
        write_srt(cues, tmp_srt)
        write_chapters_json(programme.chapters, tmp_chapters, title=script.title)
        for src, dst in ((tmp_vtt, vtt), (tmp_srt, srt), (tmp_chapters, chapters), (tmp_audio, out_audio)):
            os.replace(src, dst)
    report(1.0, "done")
    return EpisodeFiles(
        audio=out_audio,
        transcript=vtt,
        chapters=chapters,
        subtitles=srt,
        duration=programme.frames / programme.rate,
        chapters_list=programme.chapters,
        cues=cues,
    )
