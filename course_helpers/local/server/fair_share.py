"""Fair share of the engine: learners take turns, so one learner's many requests cannot starve the others.

With ``serve --learners``, every chat and Responses request passes a
:class:`FairGate` before it reaches the engine (the local batch scheduler or
the ``--upstream`` one) and holds its place until its answer ends:

- at most ``per_learner`` of one learner's requests are in the engine at
  once (``serve --per-learner N``); the learner's further requests wait in
  their own queue, in order;
- at most ``total`` requests are in the engine at once (the local engine's
  batch size, so that nobody waits in the scheduler's own first-come queue;
  64 behind ``--upstream``); when a place frees,
  the next learner in turn (round robin over the learners who are waiting)
  gets it, not the request that came first.

So a learner looping over long requests holds ``per_learner`` places at
most, and a learner arriving with one request waits for one place to free,
however many requests the greedy one has queued.

>>> import anyio
>>> async def order():
...     gate, served = FairGate(total=1, per_learner=1), []
...     async def ask(name, number):
...         async with gate.place(name):
...             served.append(f"{name}{number}")
...             await anyio.sleep(0.01)
...     async with anyio.create_task_group() as tasks:
...         for number in range(3):
...             tasks.start_soon(ask, "greedy", number)
...             await anyio.sleep(0)
...         tasks.start_soon(ask, "ada", 0)
...     return served
>>> anyio.run(order)  # greedy was waiting first, so greedy1 goes first; then ada0, before greedy2
['greedy0', 'greedy1', 'ada0', 'greedy2']
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

__all__ = ["DEFAULT_PER_LEARNER", "FairGate"]

DEFAULT_PER_LEARNER = 2  # a learner's cells rarely run more than one request at a time


class FairGate:
    """Places in the engine, handed out round robin over learners (see the module). One event loop only."""

    def __init__(self, total: int, per_learner: int = DEFAULT_PER_LEARNER) -> None:
        if total < 1 or per_learner < 1:
            raise ValueError("FairGate needs total >= 1 and per_learner >= 1")
        self.total = total
        self.per_learner = per_learner
        self.running: dict[str, int] = {}
        self._waiting: OrderedDict[str, deque[anyio.Event]] = OrderedDict()  # learners in turn order

    @property
    def busy(self) -> int:
        """Requests holding a place now."""
        return sum(self.running.values())

    def waiting(self, name: str) -> int:
        """How many of this learner's requests wait for a place."""
        return len(self._waiting.get(name, ()))

    def _may_run(self, name: str) -> bool:
        return self.busy < self.total and self.running.get(name, 0) < self.per_learner

    def _take(self, name: str) -> None:
        self.running[name] = self.running.get(name, 0) + 1

    def _hand_on(self) -> None:
        """Give free places to waiting learners, one request each per turn, in turn order."""
        progressed = True
        while progressed and self.busy < self.total:
            progressed = False
            for name in list(self._waiting):
                if not self._may_run(name):
                    continue
                queue = self._waiting[name]
                event = queue.popleft()
                del self._waiting[name]
                if queue:  # still waiting: to the back of the line
                    self._waiting[name] = queue
                self._take(name)
                event.set()
                progressed = True
                if self.busy >= self.total:
                    return

    @asynccontextmanager
    async def place(self, name: str) -> AsyncIterator[None]:
        """Hold one of the engine's places for ``name`` while the block runs (waiting for one in turn)."""
        if not self._waiting.get(name) and self._may_run(name):  # a freed place goes to waiters at once
            self._take(name)
        else:
            event = anyio.Event()
            self._waiting.setdefault(name, deque()).append(event)
            try:
                await event.wait()
            except BaseException:  # cancelled (the client left): give up the place or the queue spot
                with anyio.CancelScope(shield=True):
                    if event.is_set():
                        self._release(name)
                    else:
                        self._forget(name, event)
                raise
        try:
            yield
        finally:
            self._release(name)

    def _forget(self, name: str, event: anyio.Event) -> None:
        queue = self._waiting.get(name)
        if queue is not None and event in queue:
            queue.remove(event)
            if not queue:
                del self._waiting[name]

    def _release(self, name: str) -> None:
        self.running[name] -= 1
        if not self.running[name]:
            del self.running[name]
        self._hand_on()
