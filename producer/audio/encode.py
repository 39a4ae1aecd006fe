"""Writing the episode: the podcast MP3 from its encoded parts or the broadcast WAV in one
encode, and the transcript and chapters beside it.

Everything goes to a temporary file in the destination folder and is renamed over the
destination only once it is complete and tagged, so a failure never leaves a partial episode.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from mutagen.id3 import CHAP, CTOC, ID3, TALB, TDRC, TIT2, TLAN, TLEN, TPE1, CTOCFlags, Encoding

from producer.atomic import atomic_path, atomic_write_text
from producer.audio import mp3
from producer.audio.assemble import Programme
from producer.audio.ffmpeg import ffmpeg_exe, pipe_to_ffmpeg
from producer.audio.master import Target, master
from producer.audio.parts import PartCache, PartEncoder, encode_parts, split
from producer.errors import AudioError
from producer.models import Chapter, Cue, EpisodeMeta

_ID3_PADDING = 1024  # room to retag in place


def encode(
    programme: Programme,
    target: Target,
    out: Path,
    meta: EpisodeMeta,
    *,
    encoder: PartEncoder | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """Master `programme` and write it to `out` in the target's container, with its tags.

    MP3 is made of parts (the programme must be planned on the MP3 frame grid), taken from the
    `encoder`'s cache or work where already encoded; without one they are encoded for this file
    alone, one at a time.
    """
    if programme.rate != target.rate:
        raise ValueError(f"programme at {programme.rate} Hz, target {target.name} wants {target.rate} Hz")
    try:
        if target.container == "mp3":
            with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
                if encoder is None:
                    own = PartEncoder(target, PartCache(Path(scratch), 1 << 62), workers=1)
                    encoder = stack.enter_context(own)
                stretches = encode_parts(split(programme), encoder, on_progress=on_progress)
                with atomic_path(out) as tmp, open(tmp, "wb") as dest:
                    mp3.write_episode(dest, _id3_tag(meta), stretches, programme.frames)
        else:
            cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(target.rate)]
            cmd += ["-ac", "1", "-i", "pipe:0", "-map_metadata", "-1", "-c:a", "pcm_s24le"]
            cmd += [*_wav_metadata(meta), "-f", "wav"]
            with atomic_path(out) as tmp:
                pipe_to_ffmpeg(master(programme, target), [*cmd, str(tmp)], what=out.name)
    except OSError as exc:
        raise AudioError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _id3_tag(meta: EpisodeMeta) -> bytes:
    utf8 = Encoding.UTF8
    tags = ID3()
    tags.add(TIT2(encoding=utf8, text=meta.title))
    tags.add(TPE1(encoding=utf8, text=meta.station))
    tags.add(TALB(encoding=utf8, text=meta.programme))
    tags.add(TDRC(encoding=utf8, text=meta.created.strftime("%Y-%m-%dT%H:%M:%S")))
    tags.add(TLAN(encoding=utf8, text=meta.language))
    if meta.chapters:
        tags.add(TLEN(encoding=utf8, text=str(round(meta.chapters[-1].end * 1000))))
    ids = [f"chp{i}" for i in range(len(meta.chapters))]
    for element_id, chapter in zip(ids, meta.chapters, strict=True):
        tags.add(
            CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                sub_frames=[TIT2(encoding=utf8, text=chapter.title)],
            )
        )
    if ids:
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=utf8, text=meta.title)],
            )
        )
    data = io.BytesIO()
    tags.save(data, v2_version=4, padding=lambda _info: _ID3_PADDING)
    return data.getvalue()


def _fit(text: str, size: int) -> str:
    """`text` cut to at most `size` UTF-8 bytes without splitting a character (BWF's fixed fields)."""
    return text.encode("utf-8")[:size].decode("utf-8", "ignore")


def _wav_metadata(meta: EpisodeMeta) -> list[str]:
    # RIFF INFO (title, artist, album, date, language) and a BWF bext chunk for broadcast systems.
    fields = {
        "title": meta.title,
        "artist": meta.station,
        "album": meta.programme,
        "date": meta.created.strftime("%Y-%m-%d"),
        "language": meta.language,
        "description": _fit(meta.title, 256),
        "originator": _fit(meta.station, 32),
        "origination_date": meta.created.strftime("%Y-%m-%d"),
        "origination_time": meta.created.strftime("%H:%M:%S"),
    }
    args = ["-write_bext", "1"]
    for key, value in fields.items():
        args += ["-metadata", f"{key}={value}"]
    return args


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _cue_text(text: str) -> str:
    # A blank line would end the cue, and "<", "&" start markup in WebVTT.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\n\s*\n+", "\n", escaped).strip()


def write_vtt(cues: Sequence[Cue], out: Path) -> None:
    """A WebVTT transcript: one cue per spoken segment, at its time in the programme."""
    parts = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        parts += [str(number), f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}", _cue_text(cue.text), ""]
    try:
        atomic_write_text(out, "\n".join(parts))
    except OSError as exc:
        raise AudioError(f"cannot write {out}: {exc.strerror or exc}") from exc


def write_chapters_json(chapters: Sequence[Chapter], out: Path, *, title: str) -> None:
    """Podcasting 2.0 JSON chapters (version 1.2.0)."""
    document = {
        "version": "1.2.0",
        "title": title,
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title} for c in chapters
        ],
    }
    try:
        atomic_write_text(out, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise AudioError(f"cannot write {out}: {exc.strerror or exc}") from exc
