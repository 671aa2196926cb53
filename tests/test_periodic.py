"""The one loop for work done again and again: rounds, waits and their order."""

from __future__ import annotations

import asyncio

import pytest

from bot.foundation.periodic import run_every


class Rounds:
    """A step and a sleep that write down what happened, cancelling after `rounds` waits."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.happened: list[str] = []

    def step(self) -> None:
        self.happened.append("step")

    async def async_step(self) -> None:
        self.happened.append("async step")

    async def sleep(self, seconds: float) -> None:
        self.happened.append(f"wait {seconds:g}")
        if self.happened.count(f"wait {seconds:g}") == self.rounds:
            raise asyncio.CancelledError


async def test_a_step_runs_at_once_then_after_each_wait_until_cancelled() -> None:
    """Step, wait, step, wait ... and a cancel during a wait ends it."""
    rounds = Rounds(2)
    with pytest.raises(asyncio.CancelledError):
        await run_every(5, rounds.step, sleep=rounds.sleep)
    assert rounds.happened == ["step", "wait 5", "step", "wait 5"]


async def test_wait_first_waits_before_the_first_round_and_awaits_a_coroutine_step() -> None:
    """With `wait_first` the first round comes after a wait; a coroutine step is awaited."""
    rounds = Rounds(3)
    with pytest.raises(asyncio.CancelledError):
        await run_every(0.5, rounds.async_step, wait_first=True, sleep=rounds.sleep)
    assert rounds.happened == ["wait 0.5", "async step", "wait 0.5", "async step", "wait 0.5"]
