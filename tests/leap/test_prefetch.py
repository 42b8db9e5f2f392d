"""prefetched(): pages arrive in order, a fetch error surfaces after the pages before it, and
a consumer that stops early stops the fetching thread."""

import threading
import time

import pytest

from leapdash.leap.paging import prefetched


def test_pages_arrive_in_order_and_all_of_them():
    assert list(prefetched(iter(range(25)))) == list(range(25))


def test_the_next_page_is_fetched_while_the_current_one_is_handled():
    fetched: list[int] = []

    def pages():
        for n in range(3):
            fetched.append(n)
            yield n

    seen = []
    for page in prefetched(pages()):
        time.sleep(0.2)  # "writing" the page: the next fetch has happened meanwhile
        seen.append((page, list(fetched)))
    assert seen[0] == (0, [0, 1]) or seen[0] == (0, [0, 1, 2])


def test_a_fetch_error_is_raised_after_the_pages_before_it():
    def pages():
        yield 1
        yield 2
        raise RuntimeError("Leap answered 503 five times")

    got: list[int] = []

    def consume():
        got.extend(prefetched(pages()))

    with pytest.raises(RuntimeError, match="503"):
        consume()
    assert got == [1, 2]


def test_stopping_early_stops_the_fetching_thread():
    produced: list[int] = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    before = threading.active_count()
    for page in prefetched(endless()):
        if page == 3:
            break
    time.sleep(0.3)
    assert threading.active_count() == before
    assert len(produced) <= 6  # at most the page in hand, one queued and one being fetched
