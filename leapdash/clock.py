"""Calendar days as timestamps, in UTC.

Date filters compare a timestamp column with the start of a day and the start of the next,
so the column's index is used; every list asks here for those bounds."""

from datetime import UTC, date, datetime, time, timedelta


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_end(day: date) -> datetime:
    """Midnight UTC at the start of the day after `day`: the exclusive upper bound."""
    return day_start(day) + timedelta(days=1)
