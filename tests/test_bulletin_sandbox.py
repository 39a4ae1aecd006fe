"""Station templates cannot eat the memory or the CPU: every path that builds text or loops is
bounded, measured here by the peak of Python's allocations and the CPU time of one compose."""

from __future__ import annotations

import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest

from producer.bulletin import BulletinOptions, compose
from producer.errors import TemplateError
from producer.models import Story

NOW = datetime(2017, 9, 15, 10, 31, tzinfo=timezone(timedelta(hours=3)))
STORIES = [Story(f"عنوان الخبر رقم {i}", ("نص الخبر.",)) for i in range(40)]
MB = 2**20

HOSTILE = {
    "join of a repeated list": "{{ (['x' * 10000] * 1000) | join }}",
    "join of a lazy map": "{{ range(100000) | map('string') | map('center', 9000) | join }}",
    "join method": "{{ ''.join(['x' * 10000] * 1000) }}",
    "%-format width": "{{ '%0999999999d' % 1 }}",
    "%-format star width": "{{ '%*d' % (999999999, 1) }}",
    "center filter": "{{ 'x' | center(999999999) }}",
    "center method": "{{ 'x'.center(999999999) }}",
    "ljust method": "{{ 'x'.ljust(10**9) }}",
    "format filter": "{{ '%999999999s' | format('x') }}",
    "format method width": "{{ '{:>999999999}'.format('x') }}",
    "format method nested width": "{{ '{:>{}}'.format('x', 999999999) }}",
    "indent": "{{ ('\\n' * 9000) | indent(9000) }}",
    "replace": "{{ ('a' * 10000) | replace('a', 'b' * 10000) }}",
    "nested range": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "nested loops over a string": (
        "{% for a in 'x' * 10000 %}{% for b in 'y' * 10000 %}{% endfor %}{% endfor %}"
    ),
    "loop output": "{% for a in range(100000) %}{{ headlines | join('،') }}{% endfor %}",
    "namespace doubling": (
        "{% set ns = namespace(x='ab') %}{% for i in range(64) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}"
    ),
    "macro doubling": "{% macro f(x) %}{{ f(x ~ x) }}{% endmacro %}{{ f('ab') }}",
    "recursive loop": "{% for h in [headlines] * 100 recursive %}{{ loop([h] * 100) }}{% endfor %}",
    "list printed": "{{ ['x' * 10000, 'y' * 10000, 'z' * 10000] * 1000 }}",
    "power": "{{ 9 ** 9 ** 9 }}",
    "sum of lists": "{{ ([['x' * 10000]] * 1000) | sum(start=[]) | join }}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_templates_fail_within_bounds(source: str) -> None:
    options = BulletinOptions("راديو ألوان", "نشرة الأخبار", {"transition": source})
    tracemalloc.start()
    cpu = time.process_time()
    try:
        with pytest.raises(TemplateError):
            compose(STORIES, options, NOW)
    finally:
        spent = time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 64 * MB, f"{peak / MB:.0f} MB"
    assert spent < 10, f"{spent:.1f} s of CPU"


def test_a_station_template_using_loops_and_filters_still_works() -> None:
    headlines = (
        "{% for h in headlines %}{{ loop.index }}. {{ h | truncate(40) }}"
        "{{ '،' if not loop.last }} {% endfor %}"
        "{{ '%d أخبار' % count }} {{ '{:>3}'.format(count) }} {{ headlines | join(' - ') | length > 0 }}"
    )
    script = compose(STORIES[:3], BulletinOptions("راديو", "نشرة", {"headlines": headlines}), NOW)
    text = next(seg.text for seg in script.segments if seg.kind.value == "headlines")
    assert text == "1. عنوان الخبر رقم 0، 2. عنوان الخبر رقم 1، 3. عنوان الخبر رقم 2 3 أخبار   3 True"
