"""The embedded queue: runs each job at once, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator


class InlineQueue:
    def run(self, jobs: Iterator[Callable[[], None]]) -> int:
        count = 0
        for job in jobs:
            job()
            count += 1
        return count
