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
from datetime import timedelta
from pathlib import Path

from mutagen.id3 import CHAP, CTOC, ID3, TALB, TDRC, TIT2, TLAN, TLEN, TPE1, CTOCFlags, Encoding

from producer.atomic import atomic_path, atomic_write_text
from producer.audio import mp3
from producer.audio.assemble import Timeline
from producer.audio.bwf import BroadcastInfo, write_bwf
from producer.audio.master import Deliverable, master
from producer.audio.parts import PartCache, PartEncoder, encode_parts, split
from producer.errors import AudioError
from producer.models import Chapter, Cue, EpisodeMeta

_ID3_PADDING = 1024  # room to retag in place
_ID3_HEADER = b"ID3\x03\x00\x00"  # version 2.3.0, no flags


def encode(
    programme: Timeline,
    target: Deliverable,
    out: Path,
    meta: EpisodeMeta,
    *,
    encoder: PartEncoder | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    station_ascii: str = "",
    valid_hours: float = 2.0,
) -> None:
    """Master `programme` and write it to `out` in the target's container, with its tags.

    MP3 is made of parts (the programme must be planned on the MP3 frame grid), taken from the
    `encoder`'s cache or work where already encoded; without one they are encoded for this file
    alone, one at a time. The broadcast WAV names the station in ASCII `station_ascii` where its
    fields must be ASCII, and tells playout systems to drop it `valid_hours` after the bulletin
    was made.
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
            info = _broadcast_info(programme, meta, station_ascii, timedelta(hours=valid_hours))
            with atomic_path(out) as tmp, open(tmp, "wb") as dest:
                write_bwf(dest, master(programme, target), programme.frames, target.rate, info)
    except OSError as exc:
        raise AudioError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _id3_tag(meta: EpisodeMeta) -> bytes:
    """ID3v2.3 with the chapters' CHAP frames in time order, then the CTOC.

    v2.3 because ffmpeg (5.1 up to 9.0 at least) reads the sizes of the frames inside a v2.4 CHAP
    as plain integers, not syncsafe ones, and drops every chapter whose title frame is 128 bytes or
    longer; v2.3 sizes are plain integers for every reader, and most podcast tools write v2.3
    chapters. mutagen orders frames by size when it saves, so the CHAP frames are serialised one
    by one and laid out in order here: some players take the frames' order for the chapters'.
    """
    utf16 = Encoding.UTF16  # v2.3 has no UTF-8; mutagen would convert it to this anyway
    tags = ID3()
    tags.add(TIT2(encoding=utf16, text=meta.title))
    tags.add(TPE1(encoding=utf16, text=meta.station))
    tags.add(TALB(encoding=utf16, text=meta.programme))
    tags.add(TDRC(encoding=utf16, text=meta.created.strftime("%Y-%m-%dT%H:%M:%S")))
    tags.add(TLAN(encoding=utf16, text=meta.language))
    if meta.chapters:
        tags.add(TLEN(encoding=utf16, text=str(round(meta.chapters[-1].end * 1000))))
    ids = [f"chp{i}" for i in range(len(meta.chapters))]
    chapters = sorted(zip(ids, meta.chapters, strict=True), key=lambda item: item[1].start)
    chaps = [
        CHAP(
            element_id=element_id,
            start_time=round(chapter.start * 1000),
            end_time=round(chapter.end * 1000),
            sub_frames=[TIT2(encoding=utf16, text=chapter.title)],
        )
        for element_id, chapter in chapters
    ]
    if ids:
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=[element_id for element_id, _ in chapters],
                sub_frames=[TIT2(encoding=utf16, text=meta.title)],
            )
        )
    frames = _id3_frames(tags) + b"".join(_id3_frames(_single(chap)) for chap in chaps)
    return _ID3_HEADER + _syncsafe(len(frames) + _ID3_PADDING) + frames + bytes(_ID3_PADDING)


def _single(frame: CHAP) -> ID3:
    tags = ID3()
    tags.add(frame)
    return tags


def _id3_frames(tags: ID3) -> bytes:
    """The frames of `tags` as mutagen writes them in ID3v2.3, without the tag header."""
    data = io.BytesIO()
    tags.save(data, v2_version=3, padding=lambda _info: 0)
    return data.getvalue()[10:]


def _syncsafe(size: int) -> bytes:
    return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _broadcast_info(
    programme: Timeline, meta: EpisodeMeta, station_ascii: str, valid: timedelta
) -> BroadcastInfo:
    """The cart markers come from the layout: the voice's entry over the intro, the outro's start."""
    music = {"intro", "outro", "bed", "stinger"}
    speech = [p.start for p in programme.placements if p.label not in music]
    outro = [p.start for p in programme.placements if p.label == "outro"]
    return BroadcastInfo(
        title=meta.title,
        station=meta.station,
        station_ascii=station_ascii,
        programme=meta.programme,
        language=meta.language,
        created=meta.created,
        valid_until=meta.created + valid,
        intro_end=min(speech, default=0),
        segue=outro[-1] if outro else programme.frames,
    )


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
