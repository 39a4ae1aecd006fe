"""Compose cleaned stories into a broadcast Script from Jinja2 templates.

The templates (ident, greeting, headlines, transition, sign-off) ship in `producer/templates`; a
station overrides any of them with a file of the same name in its own folder. They render in a
sandboxed environment because stations edit them through the web UI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from producer.arabic.dates import date_words, time_words, weekday_name
from producer.errors import InputError
from producer.errors import TemplateError as ScriptTemplateError
from producer.models import Script, Segment, SegmentKind, Story

TEMPLATE_NAMES = ("ident", "greeting", "headlines", "transition", "signoff")


@dataclass(frozen=True)
class BulletinOptions:
    station: str
    programme: str
    templates_dir: Path | None = None


# Station templates are edited through the web UI: arithmetic that would eat the CPU or memory
# ("{{ 9**9**9 }}", "{{ 'x' * 10**9 }}") is refused, like the sandbox already refuses huge ranges.
_MAX_RESULT = 10**6


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _too_big_power(left, right):
            raise SecurityError("a template may not compute such a large power")
        if operator == "*" and _too_big_repeat(left, right):
            raise SecurityError("a template may not build such a long value")
        return super().call_binop(context, operator, left, right)


def _too_big_power(base: Any, exponent: Any) -> bool:
    if not isinstance(base, int | float) or not isinstance(exponent, int | float):
        return False
    digits = len(str(int(abs(base)))) if abs(base) > 1 else 0
    return abs(exponent) > 64 or abs(exponent) * digits > 64


def _too_big_repeat(left: Any, right: Any) -> bool:
    """A string or list repeated into more than _MAX_RESULT items."""
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            return len(seq) * count > _MAX_RESULT
    return False


def template_environment(templates_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    loaders = [FileSystemLoader(templates_dir)] if templates_dir else []
    loaders.append(PackageLoader("producer", "templates"))
    return BoundedSandbox(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
    )


def salutation(now: datetime) -> str:
    return "صباح الخير" if 4 <= now.hour < 12 else "مساء الخير"


def on_the_five(now: datetime) -> datetime:
    """The time a newsreader would say: to the nearest five minutes, never to the minute."""
    rounded = (now.hour * 60 + now.minute + 2) // 5 * 5
    return now.replace(hour=rounded // 60 % 24, minute=rounded % 60, second=0, microsecond=0)


def compose(
    stories: Sequence[Story],
    options: BulletinOptions,
    now: datetime,
    *,
    title: str | None = None,
    env: ImmutableSandboxedEnvironment | None = None,
) -> Script:
    """Stories in broadcast order → a Script: ident, greeting, headlines, (transition, story)…, sign-off."""
    if not stories:
        raise InputError("a bulletin needs at least one story")
    env = env or template_environment(options.templates_dir)
    headlines = tuple(story.headline for story in stories)
    common = {
        "station": options.station,
        "programme": options.programme,
        "headlines": headlines,
        "count": len(stories),
        "salutation": salutation(now),
        "weekday": weekday_name(now.date()),
        "date": date_words(now.date()),
        "clock": time_words(on_the_five(now).time()),
    }

    def render(name: str, **extra: object) -> str:
        try:
            text = env.get_template(f"{name}.j2").render(**common, **extra)
        except TemplateError as exc:
            raise ScriptTemplateError(f"template {name!r} failed: {exc}") from exc
        except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
            # A station template may fail only on real data (a division by the story count…).
            raise ScriptTemplateError(f"template {name!r} failed: {type(exc).__name__}: {exc}") from exc
        return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())

    segments = [
        Segment(SegmentKind.IDENT, render("ident")),
        Segment(SegmentKind.GREETING, render("greeting")),
        Segment(SegmentKind.HEADLINES, render("headlines")),
    ]
    for index, story in enumerate(stories):
        is_last = index == len(stories) - 1 and len(stories) > 1
        segments.append(
            Segment(SegmentKind.TRANSITION, render("transition", index=index, is_last=is_last), story=index)
        )
        segments.append(Segment(SegmentKind.STORY, story.text, story=index))
    segments.append(Segment(SegmentKind.SIGNOFF, render("signoff")))
    return Script(
        title=title or f"{options.programme} — {common['weekday']} {now:%Y-%m-%d}",
        station=options.station,
        programme=options.programme,
        created=now,
        headlines=headlines,
        segments=tuple(seg for seg in segments if seg.text),
    )
