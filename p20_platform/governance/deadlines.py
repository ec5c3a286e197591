"""When matching inputs must be destroyed: 5 Connecticut business days after the match is confirmed,
24 hours when any CCIC institution's data is included (the P20 WIN data sharing agreements).

Business days skip weekends and Connecticut state holidays, taken from the `holidays` package
(`holidays.US(subdiv="CT")`: the federal holidays plus Lincoln's Birthday and Good Friday).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

BUSINESS_DAYS = 5
CCIC_HOURS = 24


@cache
def _ct_holidays(year: int) -> holidays.HolidayBase:
    return holidays.US(subdiv="CT", years=year)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _ct_holidays(day.year)


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same time of day `days` Connecticut business days after `start`."""
    moment, left = start, days
    while left:
        moment += dt.timedelta(days=1)
        left -= is_business_day(moment.date())
    return moment


def destruction_deadline(confirmed: dt.datetime, includes_ccic: bool) -> dt.datetime:
    """The latest moment the matching inputs of a match confirmed at `confirmed` may still exist."""
    if includes_ccic:
        return confirmed + dt.timedelta(hours=CCIC_HOURS)
    return add_business_days(confirmed, BUSINESS_DAYS)
