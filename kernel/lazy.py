"""A sequence whose items are worked out from another's only when read, and then kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, overload

S = TypeVar("S")
T = TypeVar("T")


class LazyMap(Sequence[T], Generic[S, T]):
    """`function` applied to each item of `source` on first read, and remembered.

    For long upstream lists of which a page shows a few rows (e.g. a history of thousands of
    migrations): only the rows shown are parsed and decorated. Safe to share between threads,
    since a race only computes an item twice.
    """

    def __init__(self, source: Sequence[S], function: Callable[[S], T]) -> None:
        self._source = source
        self._function = function
        self._done: dict[int, T] = {}

    def __len__(self) -> int:
        return len(self._source)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._item(index)

    def __iter__(self) -> Iterator[T]:
        return (self._item(i) for i in range(len(self)))

    def _item(self, index: int) -> T:
        if index not in self._done:
            self._done[index] = self._function(self._source[index])
        return self._done[index]
