"""How far long work has got, told to whoever listens, without the core knowing who that is.

A listener is any callable `listener(stage, done, total)`: `stage` names the step in the user's
language, `total` is None when it is not known in advance. The CLI draws a rich progress bar on a
terminal; everywhere else there is no listener, and the loops run exactly as they would without one.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Optional, TypeVar

Listener = Callable[[str, int, Optional[int]], None]

EVERY = 1024  # items between reports: often enough to move a bar, rare enough to cost nothing

T = TypeVar("T")


def counted(
    items: Iterable[T], listener: Listener | None, stage: str, total: int | None, every: int = EVERY
) -> Iterable[T]:
    """`items`, reporting every `every` of them to `listener` (unchanged when there is none)."""
    if listener is None:
        return items
    return _counting(items, listener, stage, total, every)


def _counting(items: Iterable[T], listener: Listener, stage: str, total: int | None, every: int) -> Iterator[T]:
    listener(stage, 0, total)
    done = 0
    for item in items:
        yield item
        done += 1
        if done % every == 0:
            listener(stage, done, total)
    listener(stage, done, done)  # finished: the bar is full even when the estimate was off
