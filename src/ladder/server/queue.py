"""Admission and running: a bounded queue per model, generation off the event loop.

    Gate (one per model)          running <= concurrency, waiting <= max_queue;
                                  beyond that, QueueFull -> 429 with Retry-After.
    Generation                    one model.stream(...) in a worker thread; pieces
                                  reach the event loop through an asyncio.Queue;
                                  cancel() stops it between two tokens.

A local llama.cpp model runs one call at a time (its context is not thread-safe),
so concurrency is 1 by default and the queue bounds memory: a request beyond it
is refused at once instead of piling up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import AsyncIterator

from ..models.base import Model, Response


class QueueFull(Exception):
    def __init__(self, model: str, retry_after: int):
        self.model, self.retry_after = model, retry_after
        super().__init__(f"Model {model!r} is busy: its queue is full. Retry after {retry_after} s.")


class Gate:
    def __init__(self, name: str, concurrency: int = 1, max_queue: int = 16):
        self.name, self.concurrency, self.max_queue = name, concurrency, max_queue
        self._sem = asyncio.Semaphore(concurrency)
        self.waiting = 0
        self.running = 0
        self.mean_latency_s = 1.0  # moving average, for Retry-After

    @contextlib.asynccontextmanager
    async def slot(self):
        if self.waiting + self.running >= self.concurrency + self.max_queue:
            retry = max(1, round(self.mean_latency_s * (self.waiting + 1) / self.concurrency))
            raise QueueFull(self.name, retry)
        self.waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            yield
        finally:
            self.running -= 1
            self._sem.release()
            self.mean_latency_s = 0.8 * self.mean_latency_s + 0.2 * (loop.time() - start)


_DONE = object()


class Generation:
    """Iterate ``model.stream(messages, **kwargs)`` in a thread; async-iterate the pieces.

    ``response`` is set once the stream is exhausted (the call is then in the call
    log); after ``cancel()`` the model stops at its next token and ``response`` stays
    None.
    """

    def __init__(self, model: Model, messages: list, executor: ThreadPoolExecutor, **kwargs):
        self.model, self.messages, self.kwargs, self.executor = model, messages, kwargs, executor
        self.response: Response | None = None
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def _work(self, put=None) -> None:
        """In the worker thread: drive the model's stream, stop early once cancelled."""
        stream = self.model.stream(self.messages, **self.kwargs)
        it = iter(stream)
        try:
            for piece in it:
                if self.cancelled.is_set():
                    break
                if put is not None:
                    put(piece)
        finally:
            it.close()  # on cancel: the backend releases its lock here
        self.response = stream.response

    async def _settle(self, future) -> None:
        self.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.shield(future)  # keep the slot until the model really stopped

    async def pieces(self) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def put(item):
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def work():
            try:
                self._work(put)
                put(_DONE)
            except BaseException as e:  # handed to the event loop, re-raised there
                put(e)

        future = loop.run_in_executor(self.executor, work)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            await self._settle(future)

    async def run(self) -> Response | None:
        """The whole answer. Pieces stay in the worker thread: waking the event loop
        per token costs CPU that a 2-core llama.cpp decode is using."""
        future = asyncio.get_running_loop().run_in_executor(self.executor, self._work)
        try:
            await asyncio.shield(future)
        finally:
            await self._settle(future)
        return self.response
