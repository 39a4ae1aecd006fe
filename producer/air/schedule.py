"""When a programme's bulletins are built and aired: cron in the station's time zone.

The cron expression says when a bulletin is built ("55 * * * *": at :55); it airs `lead`
minutes later (5 by default: at :00). Times are computed in the station's zone, so a daily
bulletin stays at its local hour across daylight-saving changes, and stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from producer.errors import InputError


@dataclass(frozen=True)
class Slot:
    build: datetime  # UTC
    air: datetime  # UTC


def check_cron(expression: str) -> str:
    from croniter import croniter

    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise InputError(
            f"{expression!r} is not a cron expression of five fields (minute hour day month weekday)"
        )
    return expression


def slots(expression: str, zone: str, *, after: datetime, lead_minutes: int) -> Iterator[Slot]:
    """The programme's slots whose build time is after `after` (UTC), in order, without end."""
    from croniter import croniter

    local = after.astimezone(ZoneInfo(zone))
    times = croniter(check_cron(expression), local)
    while True:
        build = times.get_next(datetime).astimezone(UTC)
        yield Slot(build, build + timedelta(minutes=lead_minutes))


def next_slot(expression: str, zone: str, *, after: datetime, lead_minutes: int) -> Slot:
    return next(slots(expression, zone, after=after, lead_minutes=lead_minutes))


def due(expression: str, zone: str, *, since: datetime, now: datetime, lead_minutes: int) -> list[Slot]:
    """The slots whose build time fell in (since, now]."""
    out: list[Slot] = []
    for slot in slots(expression, zone, after=since, lead_minutes=lead_minutes):
        if slot.build > now:
            return out
        out.append(slot)
    return out
