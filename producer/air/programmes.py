"""A programme's settings checked once for the command line and the pages alike.

`check_programme` turns what was typed (`producer programme add …` or the programme form) into
the programme's column values, or raises `Invalid`: one English sentence (the command line's
message) with the field it is about and the same reason in Arabic for the form.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from producer.errors import InputError

_LENGTH = re.compile(r"^(\d{1,3}):([0-5]\d)$")
MAX_STORIES = 40
MAX_LEAD = 120
MAX_NO_REPEAT = 48
MAX_TARGETS = 8


class Invalid(InputError):
    """A programme's field refused: `str(exc)` in English, `arabic` for the form's `field`."""

    def __init__(self, field: str, english: str, arabic: str) -> None:
        super().__init__(english)
        self.field, self.arabic = field, arabic


@dataclass(frozen=True)
class ProgrammeFields:
    """A programme as typed: `length` as M:SS, `approve_by` None for automatic publishing."""

    name: str
    cron: str
    length: str
    sources: Sequence[str]
    approve_by: int | None = None
    playout: Sequence[str] = field(default_factory=tuple)
    max_stories: int = 6
    lead: int = 5
    no_repeat: int = 3
    target: str = "broadcast"


def parse_length(text: str) -> int:
    """'4:00' → 240 seconds."""
    match = _LENGTH.match(text.strip())
    if not match or int(match[1]) * 60 + int(match[2]) == 0:
        raise Invalid(
            "length",
            f"{text!r} is not a length in minutes and seconds, such as 4:00",
            "المدة تُكتب بالدقائق والثواني، مثل 4:00.",
        )
    return int(match[1]) * 60 + int(match[2])


def _bounded(name: str, value: int, low: int, high: int, arabic: str) -> int:
    if not low <= value <= high:
        raise Invalid(name, f"{name} must be between {low} and {high}, not {value}", arabic)
    return value


def check_programme(
    fields: ProgrammeFields, *, sources: Collection[str], taken: Collection[str], queue: str
) -> dict[str, Any]:
    """The programme's column values; `sources` are the station's source names, `taken` the
    names of its other programmes, `queue` the Liquidsoap queue targets push to."""
    from producer.air.playout import check_targets, parse_target
    from producer.air.schedule import check_cron
    from producer.models import Target
    from producer.store.air import Mode

    name = fields.name.strip()
    if not name or len(name) > 100:
        raise Invalid(
            "name",
            "a programme needs a name of at most 100 characters",
            "اكتبوا اسمًا للبرنامج (100 حرف على الأكثر).",
        )
    if name in taken:
        raise Invalid("name", f"there is already a programme named {name!r}", f"يوجد برنامج اسمه «{name}».")
    try:
        cron = check_cron(fields.cron.strip())
    except InputError as exc:
        raise Invalid(
            "cron",
            str(exc),
            "الجدول تعبير cron من خمسة حقول (الدقيقة الساعة اليوم الشهر يوم الأسبوع)، مثل 55 * * * *.",
        ) from exc
    length = parse_length(fields.length)
    names = [n.strip() for n in fields.sources if n.strip()]
    if not names:
        raise Invalid("sources", "--sources names no source", "اختاروا مصدرًا واحدًا على الأقل.")
    missing = [n for n in names if n not in sources]
    if missing:
        raise Invalid(
            "sources",
            f"no source is named {', '.join(map(repr, missing))}",
            f"لا مصدر باسم «{missing[0]}».",
        )
    lead = _bounded("lead", fields.lead, 0, MAX_LEAD, f"التحضير قبل البث بين 0 و{MAX_LEAD} دقيقة.")
    max_stories = _bounded(
        "max_stories", fields.max_stories, 1, MAX_STORIES, f"عدد الأخبار بين 1 و{MAX_STORIES}."
    )
    no_repeat = _bounded(
        "no_repeat", fields.no_repeat, 0, MAX_NO_REPEAT, f"عدم التكرار بين 0 و{MAX_NO_REPEAT} نشرة."
    )
    if fields.approve_by is not None:
        # The deadline falls between the build and the air time, or no editor could ever approve.
        _bounded(
            "approve_by",
            fields.approve_by,
            0,
            max(0, lead - 1),
            "موعد الاعتماد يقع بين التحضير والبث: أقل من دقائق التحضير قبل البث.",
        )
    targets = [t.strip() for t in fields.playout if t.strip()]
    if len(targets) > MAX_TARGETS:
        raise Invalid(
            "playout", f"at most {MAX_TARGETS} playout targets", f"{MAX_TARGETS} وجهات بث على الأكثر."
        )
    for spec in targets:
        try:
            parse_target(spec, queue=queue, secret=b"")
        except InputError as exc:
            raise Invalid(
                "playout",
                str(exc),
                f"وجهة البث «{spec}» غير مفهومة: dir:PATH أو liquidsoap:HOST:PORT أو "
                "liquidsoap:unix:PATH أو webhook:URL.",
            ) from exc
    if fields.target not in {t.value for t in Target}:
        raise Invalid(
            "target",
            f"--target must be broadcast or podcast, not {fields.target!r}",
            "اختاروا البث أو البودكاست.",
        )
    try:
        check_targets(targets, fields.target)
    except InputError as exc:
        raise Invalid(
            "playout",
            str(exc),
            "نشرة البودكاست ملف MP3 للتغذية لا للبث: لا تُسلَّم إلا إلى webhook؛ "
            "اختاروا البث لمجلد أو Liquidsoap.",
        ) from exc
    return {
        "name": name,
        "cron": cron,
        "lead_minutes": lead,
        "length_seconds": length,
        "max_stories": max_stories,
        "sources": names,
        "mode": (Mode.APPROVE if fields.approve_by is not None else Mode.AUTO).value,
        "target": fields.target,
        "approve_minutes": fields.approve_by,
        "playout": targets,
        "no_repeat": no_repeat,
    }
