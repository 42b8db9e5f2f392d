"""prefetched(): pages arrive in order, a fetch error surfaces after the pages before it, and
a consumer that stops early stops the fetching thread."""

import threading
from collections.abc import Generator
from typing import cast

import pytest

from leapdash.leap.paging import prefetched


def test_pages_arrive_in_order_and_all_of_them():
    assert list(prefetched(iter(range(25)))) == list(range(25))


def test_the_next_page_is_fetched_while_the_current_one_is_handled():
    next_fetch_started = threading.Event()

    def pages():
        yield 0
        next_fetch_started.set()  # the generator was resumed for page 1
        yield 1

    handled = []
    for page in prefetched(pages()):
        if page == 0:
            # "writing" page 0: page 1 is fetched meanwhile; fetched one after the other, this
            # would wait in vain (the fetch of page 1 would only start after this loop body)
            handled.append(next_fetch_started.wait(10))
        handled.append(page)
    assert handled == [True, 0, 1]


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

    pages = cast(Generator[int, None, None], prefetched(endless()))  # a generator, typed Iterator
    for page in pages:
        if page == 3:
            break
    pages.close()  # what dropping the loop does; it returns once the thread has stopped
    assert not [t for t in threading.enumerate() if t.name == "leap-prefetch" and t.is_alive()]
    assert len(produced) <= 6  # at most the page in hand, one queued and one being fetched
