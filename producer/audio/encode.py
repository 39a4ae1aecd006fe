"""The one encode, and the transcript and chapters written beside it.

The mastered blocks stream into a single ffmpeg process as raw float32 on stdin; the result goes to
a temporary file in the destination folder and is renamed over the destination only once it is
complete and tagged, so a failure never leaves a partial episode behind.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from mutagen.id3 import CHAP, CTOC, ID3, TALB, TDRC, TIT2, TLAN, TLEN, TPE1, CTOCFlags, Encoding

from producer.atomic import atomic_path, atomic_write_text
from producer.audio.ffmpeg import ffmpeg_exe, last_line
from producer.audio.master import Target
from producer.errors import AudioError
from producer.models import Chapter, Cue, EpisodeMeta, Samples

# 96 kbps mono is transparent for speech and jingles. LAME's quality 7 (-compression_level 7)
# skips noise shaping and encodes about twice as fast as its default: the encode is the floor of a
# build's time, and at this bitrate the difference is not audible.
MP3_BITRATE = "96k"
MP3_COMPRESSION_LEVEL = "7"
# LAME's CBR/ABR presets up to 160 kbps scale the input by 0.95 (the `scale` column of
# abr_switch_map in its presets.c): feeding 1/0.95 more keeps the file at the mastered loudness.
# CBR rather than VBR so that players seek exactly to chapter starts.
LAME_CBR_SCALE = 0.95
_PIPE_BYTES = 1 << 20


def encode(blocks: Iterable[Samples], *, rate: int, target: Target, out: Path, meta: EpisodeMeta) -> None:
    """Encode mono float32 `blocks` at `rate` into `out` as the target's container, with its tags."""
    if rate != target.rate:
        raise ValueError(f"blocks at {rate} Hz, target {target.name} wants {target.rate} Hz")
    scale = 1.0
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y"]
    cmd += ["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-map_metadata", "-1"]
    if target.container == "mp3":
        # No tag from ffmpeg (mutagen writes ID3v2.4 after); keep the Xing/LAME frame so players
        # know the exact length and trim the encoder delay.
        cmd += ["-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-compression_level", MP3_COMPRESSION_LEVEL]
        cmd += ["-id3v2_version", "0", "-write_xing", "1", "-f", "mp3"]
        scale = 1.0 / LAME_CBR_SCALE
    else:
        cmd += ["-c:a", "pcm_s24le", *_wav_metadata(meta), "-f", "wav"]
    try:
        with atomic_path(out) as tmp:
            _pipe(blocks, [*cmd, str(tmp)], out, scale)
            if target.container == "mp3":
                _tag_mp3(tmp, meta)
    except OSError as exc:
        raise AudioError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _pipe(blocks: Iterable[Samples], cmd: list[str], out: Path, scale: float) -> None:
    # stderr goes to a file: a pipe nobody reads could fill and stall ffmpeg while we write.
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        except OSError as exc:
            raise AudioError(f"cannot run ffmpeg ({cmd[0]}): {exc.strerror or exc}") from exc
        assert proc.stdin is not None
        _widen(proc.stdin.fileno())
        try:
            for block in blocks:
                data = block * np.float32(scale) if scale != 1.0 else block
                proc.stdin.write(np.ascontiguousarray(data, dtype="<f4").data)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped reading; its exit code and stderr say why
        except BaseException as exc:
            proc.kill()
            proc.wait()
            if isinstance(exc, OSError):  # from producing the blocks: not a write to `out`
                raise AudioError(f"the programme could not be rendered: {exc}") from exc
            raise
        if proc.wait() != 0:
            errors.seek(0)
            raise AudioError(f"ffmpeg could not encode {out.name}: {last_line(errors.read())}")


def _widen(fd: int) -> None:
    """Let the pipe hold a couple of blocks, so mastering runs ahead while ffmpeg encodes.

    With the default 64 KiB each write waits for ffmpeg to drain it, and the two take turns
    instead of running side by side on two cores. Linux only; elsewhere the default stays.
    """
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # the default pipe works, with less overlap


def _tag_mp3(path: Path, meta: EpisodeMeta) -> None:
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
    tags.save(path, v2_version=4)


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
