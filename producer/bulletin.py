"""Compose cleaned stories into a broadcast Script from Jinja2 templates.

The templates (ident, greeting, headlines, transition, sign-off) ship in `producer/templates`; a
station overrides any of them with its own text of the same name (stored in the database, read
through Jinja's DictLoader). They render in a sandboxed environment because stations edit them
through the web UI.
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateError,
    nodes,
)
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from producer.arabic.dates import date_words, time_words, weekday_name
from producer.errors import InputError
from producer.errors import TemplateError as ScriptTemplateError
from producer.models import Script, Segment, SegmentKind, Story

TEMPLATE_NAMES = ("ident", "greeting", "headlines", "transition", "signoff")


@dataclass(frozen=True)
class BulletinOptions:
    station: str
    programme: str
    # The station's own templates by name ("ident" …); the shipped ones fill in the others.
    templates: Mapping[str, str] = field(default_factory=dict)


# Station templates are edited through the web UI, so every way a template could eat the memory or
# the CPU is bounded: values it builds (repeats, powers, %- and format widths, padding filters,
# joins, replaces, macro arguments, namespace values), the text it outputs, the iterations of all
# its loops together, and the CPU time of one bulletin's templates.
_MAX_RESULT = 20_000  # characters (or items) of any value a template builds; a headline is 200
MAX_OUTPUT = 50_000  # characters one template may produce
MAX_ITERATIONS = 100_000  # loop iterations and calls in one bulletin's templates
MAX_CPU_SECONDS = 2.0
_MAX_WIDTH = 10_000  # widths, counts and precisions given to filters and string methods
_WIDE_FORMAT = re.compile(r"\d{5,}|\*|\{[^{}]*\{")


class _Budget:
    """What one compose may still spend: iterations and calls, and CPU time of this thread."""

    def __init__(self) -> None:
        self.left = MAX_ITERATIONS
        self.deadline = time.thread_time() + MAX_CPU_SECONDS

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SecurityError(f"a template may not run more than {MAX_ITERATIONS:,} loop steps")
        if self.left % 256 == 0 and time.thread_time() > self.deadline:
            raise SecurityError(f"the templates took more than {MAX_CPU_SECONDS:g} s of CPU")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


@contextmanager
def _budget() -> Iterator[None]:
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _loop_budget(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _tick()
        yield item


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


def _check_value(value: Any) -> None:
    if _size(value) > _MAX_RESULT:
        raise SecurityError("a template may not build such a long value")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise SecurityError("a template may not format with such widths")


def _estimate(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a filter or string method call whose result could outgrow the limits, before it runs."""
    numbers = [a for a in (*args, *kwargs.values()) if isinstance(a, int) and not isinstance(a, bool)]
    if any(abs(n) > _MAX_WIDTH for n in numbers):
        raise SecurityError("a template may not pass such a large number to a filter")
    _check_value(value)
    for a in (*args, *kwargs.values()):
        _check_value(a)
    width = max(numbers, default=0)
    text = value if isinstance(value, str) else ""
    if name in ("format", "format_map"):
        _check_format(value)
    elif name == "indent" or name == "expandtabs":
        grown = (text.count("\n") + text.count("\t") + 1) * max(width, 4)
        if len(text) + grown > _MAX_RESULT:
            raise SecurityError("a template may not build such a long value")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = text.count(args[0]) if args[0] else len(text) + 1
        if len(text) + count * len(args[1]) > _MAX_RESULT:
            raise SecurityError("a template may not build such a long value")
    elif name == "join":
        items = args[0] if isinstance(value, str) and args else value
        if isinstance(items, list | tuple) and _weight(items) > _MAX_RESULT:
            raise SecurityError("a template may not build such a long value")


def _weight(items: Sequence[Any]) -> int:
    """Roughly the characters a sequence prints as (its items' own sizes, one for the others)."""
    return sum(_size(item) + 1 for item in items)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        # Filters that take the context or environment first: the value is the next argument.
        at = next(
            (i for i, a in enumerate(args) if not isinstance(a, Context | Environment | EvalContext)), None
        )
        if at is not None:
            value = args[at]
            if not isinstance(value, str | list | tuple | dict) and isinstance(value, Iterable):
                # A lazy sequence (map, select…) is measured as the list it is about to become.
                value = list(islice(value, _MAX_RESULT + 1))
                _check_value(value)
                args = (*args[:at], value, *args[at + 1 :])
            _estimate(name, value, tuple(args[at + 1 :]), kwargs)
        result = function(*args, **kwargs)
        _check_value(result)
        return result

    functools.update_wrapper(bounded, function)
    return bounded


class _BoundedNamespace(Namespace):
    def __setitem__(self, name: str, value: Any) -> None:
        _check_value(value)
        super().__setitem__(name, value)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters["_loop_budget"] = _loop_budget
        self.globals["namespace"] = _BoundedNamespace

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The parsed template, every `for` made to iterate through the budget."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            if not loop.recursive:
                loop.iter = nodes.Filter(loop.iter, "_loop_budget", [], [], None, None, lineno=loop.lineno)
        return tree

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "**" and _too_big_power(left, right):
            raise SecurityError("a template may not compute such a large power")
        if operator == "*" and _too_big_repeat(left, right):
            raise SecurityError("a template may not build such a long value")
        if operator == "%":
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is not None:
            _check_format(value.__self__)  # str.format widths, before it can be called any way
        return wrapper

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        for value in (*args, *kwargs.values()):
            _check_value(value)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | list | tuple | dict):
            _estimate(getattr(__obj, "__name__", ""), owner, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _check_value(result)
        return result


def salutation(now: datetime) -> str:
    return "صباح الخير" if 4 <= now.hour < 12 else "مساء الخير"


def _too_big_power(base: Any, exponent: Any) -> bool:
    if not isinstance(base, int | float) or not isinstance(exponent, int | float):
        return False
    digits = len(str(int(abs(base)))) if abs(base) > 1 else 0
    return abs(exponent) > 64 or abs(exponent) * digits > 64


def _too_big_repeat(left: Any, right: Any) -> bool:
    """A string or list repeated into more than _MAX_RESULT characters or items."""
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str) and isinstance(count, int):
            return len(seq) * count > _MAX_RESULT
        if isinstance(seq, list | tuple) and isinstance(count, int):
            return _weight(seq) * count > _MAX_RESULT
    return False


def template_environment(templates: Mapping[str, str] | None = None) -> ImmutableSandboxedEnvironment:
    """The sandbox with the station's `templates` over the shipped ones; one per distinct set of
    texts in a process, so each template is parsed and compiled once, not at every compose."""
    return _environment(tuple(sorted((templates or {}).items())))


@functools.lru_cache(maxsize=16)
def _environment(templates: tuple[tuple[str, str], ...]) -> ImmutableSandboxedEnvironment:
    return BoundedSandbox(
        loader=ChoiceLoader(
            [
                DictLoader({f"{name}.j2": text for name, text in templates}),
                PackageLoader("producer", "templates"),
            ]
        ),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
    )


def _bounded_render(template: Template, context: dict[str, Any]) -> str:
    """The template's text, stopped as soon as it passes MAX_OUTPUT characters."""
    parts, length = [], 0
    for part in template.generate(context):
        length += len(part)
        if length > MAX_OUTPUT:
            raise SecurityError(f"a template may not produce more than {MAX_OUTPUT:,} characters")
        parts.append(part)
    return "".join(parts)


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
    env = env or template_environment(options.templates)
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
            text = _bounded_render(env.get_template(f"{name}.j2"), {**common, **extra})
        except TemplateError as exc:
            raise ScriptTemplateError(f"template {name!r} failed: {exc}") from exc
        except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
            # A station template may fail only on real data (a division by the story count…).
            raise ScriptTemplateError(f"template {name!r} failed: {type(exc).__name__}: {exc}") from exc
        return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())

    with _budget():
        segments = [
            Segment(SegmentKind.IDENT, render("ident")),
            Segment(SegmentKind.GREETING, render("greeting")),
            Segment(SegmentKind.HEADLINES, render("headlines")),
        ]
        for index, story in enumerate(stories):
            is_last = index == len(stories) - 1 and len(stories) > 1
            segments.append(
                Segment(
                    SegmentKind.TRANSITION, render("transition", index=index, is_last=is_last), story=index
                )
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
