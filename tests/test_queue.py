"""The line for Ollama: its order, what a waiting guest is told of their wait, and that a wish
holds its place only while the model works for it (its picture is drawn outside the line:
tests/test_pictures.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import html

import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.wishes.queue import RECENT_RUNS, FairQueue, rounded_wait
from tests.conftest import app_client
from tests.fake_ollama import FakeOllama, Scenario
from tests.test_generation import finished, parse_sse, wish


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def run(queue: FairQueue, clock: Clock, seconds: float, key: str = "w") -> None:
    """One wish that holds its place `seconds` of the clock's time."""
    queue.reserve(key)
    await queue.wait_turn(key, lambda place: None)
    clock.now += seconds
    queue.leave(key)


@pytest.mark.parametrize(
    ("seconds", "told"),
    [(0, 0), (0.2, 1), (12.4, 12), (59.4, 59), (60, 60), (89, 60), (90, 120), (151, 180)],
)
def test_a_wait_is_told_in_seconds_under_a_minute_and_in_whole_minutes_past_it(
    seconds: float, told: int
) -> None:
    assert rounded_wait(seconds) == told


async def test_the_estimate_is_the_place_times_the_median_of_recent_runs_over_concurrency() -> None:
    clock = Clock()
    queue = FairQueue(concurrency=1, max_waiting=10, clock=clock)
    assert queue.wait_seconds(3) == 0  # no run has ended: no estimate
    for seconds in (20, 40, 400):  # one slow run does not move the median
        await run(queue, clock, seconds)
    assert list(queue.durations) == [20, 40, 400]
    assert queue.wait_seconds(0) == 0  # next: nothing to wait for
    assert queue.wait_seconds(1) == 40
    assert queue.wait_seconds(2) == 60  # 80 s: about a minute
    assert queue.wait_seconds(4) == 180  # 160 s: about 3 min
    queue.concurrency = 2
    assert queue.wait_seconds(4) == 60
    # Only the last runs count: the bar's pace now, not this morning's.
    for _ in range(RECENT_RUNS):
        await run(queue, clock, 6)
    assert len(queue.durations) == RECENT_RUNS
    queue.concurrency = 1
    assert queue.wait_seconds(2) == 12


async def test_leaving_twice_or_before_its_turn_counts_no_run() -> None:
    clock = Clock()
    queue = FairQueue(concurrency=1, max_waiting=10, clock=clock)
    queue.reserve("a")
    queue.reserve("b")
    await queue.wait_turn("a", lambda place: None)
    queue.leave("b")  # stopped while waiting: it held no place
    clock.now += 5
    queue.leave("a")
    queue.leave("a")
    assert list(queue.durations) == [5]


async def test_a_waiting_guest_is_told_their_place_and_about_how_long_in_their_language(
    database: Settings, fake_ollama: FakeOllama
) -> None:
    fake_ollama.set_scenario(Scenario(ttft=0.5))
    settings = dataclasses.replace(database, ollama_host=fake_ollama.host, ollama_concurrency=1)
    app = create_app(settings)
    # The bar's recent pace: wishes that took half a minute each.
    app.state.jobs.queue.durations.extend([30.0, 30.0, 30.0])
    try:
        async with app_client(app) as client:
            ids = [await wish(client, "wish number 0")]
            await asyncio.sleep(0.2)  # the first one is with Ollama
            ids += [await wish(client, f"wish number {i}") for i in (1, 2)]
            await finished(app)
            told = {}
            for lang in ("en", "fr"):
                for gen_id in ids[1:]:
                    response = await client.get(
                        f"/generations/{gen_id}/events", headers={"accept-language": lang}
                    )
                    statuses = [
                        e["data"] for e in parse_sse(response.text) if e["event"] == "status"
                    ]
                    told[lang, gen_id] = " ".join(
                        html.unescape(" ".join(s.split())) for s in statuses
                    )
    finally:
        await app.state.jobs.shutdown()
    # 2 x 30 s: about a minute; 1 x 30 s: less than one.
    assert "2 wishes before yours · about 1 min" in told["en", ids[2]]
    assert "2 vœux avant le vôtre · environ 1 min" in told["fr", ids[2]]
    assert "1 wish before yours · less than a minute" in told["en", ids[1]]
    assert "1 vœu avant le vôtre · moins d'une minute" in told["fr", ids[1]]
    assert "Your wish is next…" in told["en", ids[2]]  # said without an estimate
    assert "Your wish is next… ·" not in told["en", ids[2]]
