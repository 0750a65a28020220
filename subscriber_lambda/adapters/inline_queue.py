"""The embedded queue: runs each delivery at once, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class InlineQueue:
    def submit(
        self, lane: str, deliveries: Iterator[Any], worker: Callable[[Any], None], source: str
    ) -> int:
        count = 0
        for delivery in deliveries:
            worker(delivery)
            count += 1
        return count
