"""The pool's jobs start largest body first (reader.refresh._LargestFirst)."""

from __future__ import annotations

import asyncio

from reader.refresh import _LargestFirst


def test_waiting_bodies_get_the_slot_largest_first():
    async def scenario() -> list[str]:
        gate = _LargestFirst(1)
        started: list[str] = []

        async def job(name: str, size: int) -> None:
            await gate.acquire(size)
            started.append(name)
            await asyncio.sleep(0.01)
            gate.release()

        await gate.acquire(1)  # the slot is taken: everything below waits
        tasks = [
            asyncio.ensure_future(job(name, size))
            for name, size in (("small", 10), ("huge", 1000), ("medium", 100))
        ]
        await asyncio.sleep(0)
        gate.release()
        await asyncio.gather(*tasks)
        return started

    assert asyncio.run(scenario()) == ["huge", "medium", "small"]


def test_a_cancelled_waiter_does_not_keep_a_slot():
    async def scenario() -> int:
        gate = _LargestFirst(1)
        await gate.acquire(1)
        waiter = asyncio.ensure_future(gate.acquire(5))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.sleep(0)
        gate.release()
        # the slot is free again: two acquires in a row, the second has to wait
        await asyncio.wait_for(gate.acquire(1), 1)
        second = asyncio.ensure_future(gate.acquire(1))
        await asyncio.sleep(0.01)
        blocked = not second.done()
        gate.release()
        await asyncio.wait_for(second, 1)
        return blocked

    assert asyncio.run(scenario())
