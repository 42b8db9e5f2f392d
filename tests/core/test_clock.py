"""Day bounds: a date filter's lower and exclusive upper timestamp."""

from datetime import UTC, date, datetime

import pytest

from leapdash.clock import day_end, day_start


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2024, 3, 5), datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC)),
        (date(2024, 2, 28), datetime(2024, 2, 28, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)),
        (date(2023, 12, 31), datetime(2023, 12, 31, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_day_runs_from_its_midnight_to_the_next(day, start, end):
    assert (day_start(day), day_end(day)) == (start, end)
    assert day_start(day).tzinfo is UTC
