"""WhatsApp's pace shared among the live workers: each sends at its part of the number's rate."""

from __future__ import annotations

import pytest

from refbot.delivery.sender import RateLimit


class Clock:
    """Seconds a test moves by hand; the bucket never has to sleep when the test waits out its pauses."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _sends_within(limit: RateLimit, clock: Clock, seconds: float) -> int:
    """How many messages the bucket lets out in ``seconds``, each sent as soon as it may go."""
    end, sent = clock.now + seconds, 0
    while (clock.now + limit.wait_needed()) <= end:
        clock.now += limit.wait_needed()
        await limit.acquire()  # nothing to wait for: the clock has been moved past the pause
        sent += 1
    return sent


async def test_a_rate_limit_with_a_share_of_two_paces_at_half_the_rate() -> None:
    whole_clock, half_clock = Clock(), Clock()
    whole, half = RateLimit(10, clock=whole_clock), RateLimit(10, clock=half_clock)
    half.set_share(2)  # two live workers send from the same number

    assert half.allowed == 5
    # A burst of the bucket's size, then one every 1/rate seconds.
    assert await _sends_within(whole, whole_clock, 60) == 10 + 600
    assert await _sends_within(half, half_clock, 60) == 5 + 300
    assert half.wait_needed() == pytest.approx(0.2)


async def test_a_share_can_change_while_it_runs_and_never_stops_sending() -> None:
    clock = Clock()
    limit = RateLimit(1, clock=clock)
    limit.set_share(3)  # a third of a message a second: one every three seconds, no burst to save up
    assert await _sends_within(limit, clock, 30) == 1 + 10
    limit.set_share(1)  # the other workers are gone: the whole rate again
    clock.now += 5
    assert await _sends_within(limit, clock, 10) == 1 + 10
    limit.set_share(0)  # never below one share
    assert limit.share == 1
