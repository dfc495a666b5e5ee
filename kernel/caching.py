"""Every piece of process-level state the dashboard keeps, each with its reason and benefit.

Nothing else holds module state: sign-in, the system token, the templates' environment and the
migration pages use the stores defined at the bottom of this module, and tests clear them all,
as a fresh worker would start, through `reset()`.

A short-lived, per-process cache for upstream reads that are slow to fetch and large to parse.

The migration service's history list is not paged: with thousands of past migrations it takes
tens of milliseconds to send and to decode, while a page shows 50 rows. Each worker keeps the list
it fetched last for a few seconds, and past that serves it while fetching a fresh copy in the
background, so a page costs neither the fetch nor the parse. Anything the dashboard itself does to
a migration (start, cancel, refresh, purge) moves a shared generation counter in the Django cache
(Redis in deployed environments), which makes every worker's copy stale at once, so nobody sees a
list that predates their own action.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache

import upstream
from kernel.logging import request_context
from upstream import deadline

logger = logging.getLogger(__name__)

T = TypeVar("T")

GENERATION_KEY = "migrations:upstream-generation"
# Where a request keeps the counter it has read (kernel.logging.request_context).
_GENERATION_READ = "upstream_generation"


def upstream_generation() -> int:
    """The counter that dashboard actions move (0 before the first action).

    Read once a request: a signed-in request reads it with its session, in the same round trip
    to Redis (kernel.sessions, `generation_read`), so a history or details page does not make a
    second one. Outside a request, read each time.
    """
    context = request_context.get()
    if context is not None and _GENERATION_READ in context:
        return int(context[_GENERATION_READ])
    return generation_read(cache.get(GENERATION_KEY))


def generation_read(value: Any) -> int:
    """Remember, for the rest of the request, the counter read from the cache (None: unset)."""
    generation = value if isinstance(value, int) else 0
    context = request_context.get()
    if context is not None:
        context[_GENERATION_READ] = generation
    return generation


def upstream_changed() -> None:
    """Call after an action that changes upstream state: every worker's copies go stale."""
    try:
        generation = cache.incr(GENERATION_KEY)
    except ValueError:
        # No counter yet (incr needs an existing key). A racing `add` loses harmlessly.
        generation = 1 if cache.add(GENERATION_KEY, 1) else cache.incr(GENERATION_KEY)
    # The rest of this request sees its own change.
    generation_read(generation)


@dataclass
class Cached(Generic[T]):
    value: T
    fetched_at: float  # time.monotonic()
    fetched_wall: float  # time.time(), for "updated at" display
    generation: int
    refreshing: bool = False


class StaleWhileRevalidate(Generic[T]):
    """Values by key: fresh for `fresh_seconds`, then served while a refresh runs, up to
    `max_stale_seconds`; older, missing or from an earlier generation, fetched in the request.
    """

    def __init__(self, *, fresh_seconds: float, max_stale_seconds: float, max_entries: int = 8):
        self.fresh_seconds = fresh_seconds
        self.max_stale_seconds = max_stale_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Cached[T]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, fetch: Callable[[], T]) -> Cached[T]:
        generation = upstream_generation()
        entry = self._current(key, generation)
        if entry is not None:
            age = time.monotonic() - entry.fetched_at
            if age < self.fresh_seconds:
                return entry
            if age < self.max_stale_seconds:
                self._refresh_in_background(key, fetch, entry)
                return entry
        # Concurrent misses for one key share a single fetch.
        with self._key_lock(key):
            entry = self._current(key, generation)
            if entry is not None and time.monotonic() - entry.fetched_at < self.fresh_seconds:
                return entry
            return self._fetch(key, fetch, generation)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _current(self, key: Hashable, generation: int) -> Cached[T] | None:
        with self._lock:
            entry = self._entries.get(key)
        return entry if entry is not None and entry.generation == generation else None

    def _fetch(self, key: Hashable, fetch: Callable[[], T], generation: int) -> Cached[T]:
        value = fetch()
        entry = Cached(value, time.monotonic(), time.time(), generation)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def _refresh_in_background(
        self, key: Hashable, fetch: Callable[[], T], entry: Cached[T]
    ) -> None:
        with self._lock:
            if entry.refreshing:
                return
            entry.refreshing = True

        def refresh() -> None:
            try:
                # Not bound by the deadline of the request that happened to start it.
                with deadline.bounded(None):
                    self._fetch(key, fetch, entry.generation)
            except upstream.ApiError as error:
                # The stale copy stays until it is too old; then a request fetches and reports.
                logger.warning("Background refresh failed: %s", error)
            finally:
                entry.refreshing = False

        upstream.executor().submit(refresh)

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())


def cache_key(*parts: Any) -> tuple[Any, ...]:
    """A hashable key from parts that may include mappings of query parameters."""
    return tuple(
        tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in p.items()))
        if isinstance(p, dict)
        else p
        for p in parts
    )


class GenerationMemo(Generic[T]):
    """Results that can only change when the dashboard acts, kept until the generation moves.

    For reads of our own data that depend on dashboard actions alone, such as who started each
    migration on a history page (from the audit log): computed once per page and generation.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], *, generation: int | None = None) -> T:
        """The value for the current generation; pass `generation` when the request has read it
        already (a history page has, for its list), which spares a second read of the counter.
        """
        if generation is None:
            generation = upstream_generation()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == generation:
            return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (generation, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Recent(Generic[T]):
    """The last value put for each of a few keys (least recently put dropped first)."""

    def __init__(self, max_entries: int = 8) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RunningRows(Recent[Any]):
    """The last history row seen of each migration that was in progress, by migration id."""

    def __init__(self, max_entries: int = 64) -> None:
        super().__init__(max_entries)

    def remember(self, migration: Any) -> None:
        if migration.in_progress:
            self.put(migration.migration_id, migration)
        else:
            self.forget(migration.migration_id)


class _Kept:
    """A value already had, answering `result()` as a finished future would.

    The usual case on the home page, for every type shown: a real Future (a Condition and its
    lock) cost 8-9 us to make and read, this about 1 us (timeit).
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, timeout: float | None = None) -> Any:
        return self.value


class BriefValues:
    """Values by key for a few seconds, fetched on the shared executor when missing or old.

    `submit` returns a future, so several keys can be fetched side by side; concurrent misses
    for one key share a single fetch.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._pending: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def submit(self, key: Hashable, fetch: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and time.monotonic() - entry[0] < self.seconds:
                return _Kept(entry[1])
            pending = self._pending.get(key)
            if pending is not None:
                return pending

            def run() -> Any:
                try:
                    value = fetch()
                    with self._lock:
                        self._entries[key] = (time.monotonic(), value)
                    return value
                finally:
                    with self._lock:
                        self._pending.pop(key, None)

            future = upstream.executor().submit(run)
            self._pending[key] = future
            return future

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Expiring(Generic[T]):
    """Values by key, each kept in this process for `seconds` after it was put."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Hashable, tuple[float, T]] = {}

    def get(self, key: Hashable) -> T | None:
        # A plain dict's get and set are atomic: no lock is needed, and a race only reads again.
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[0] < self.seconds:
            return entry[1]
        return None

    def put(self, key: Hashable, value: T) -> None:
        self._entries[key] = (time.monotonic(), value)

    def forget(self, key: Hashable, value: T | None = None) -> None:
        """Drop the key (only if it still holds `value`, when one is given)."""
        entry = self._entries.get(key)
        if entry is not None and (value is None or entry[1] == value):
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class KeyedLocks:
    """One lock per key, made on first use, so threads of a worker queue for the same thing."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def clear(self) -> None:
        with self._guard:
            self._locks.clear()


# -- The caches (one instance each per worker process)

# Each worker remembers the system tokens it has seen for 30 s, saving a Redis read per upstream
# call (accounts.system_token); shorter than the tokens' 60 s expiry margin, so one read from
# Redis just before its entry expired is still at least 30 s from HMPPS Auth's expiry when used.
system_tokens: Expiring[str] = Expiring(seconds=30.0)
# Threads of a worker fetching the same user's token wait for one fetch (Redis's lock does the
# same across workers).
system_token_fetches = KeyedLocks()
# The signed-in users each worker read (accounts.backends), for 5 s: saves the Redis round trip
# on every request; a role change reaches other workers within that time.
signed_in_users: Expiring[Any] = Expiring(seconds=5.0)
# Each set of HMPPS roles' permissions (accounts.permissions): the role table only changes when an
# app grants a role more at start-up, which clears this.
role_permissions: dict[tuple[str, ...], frozenset[str]] = {}
# Templates (kernel.jinja2): the hashed name of each asset (the manifest lookup ran for every asset
# on every page), fragments with no variables (the GOV.UK footer and skip link: about half a
# millisecond of macros a page), and fragments of a few plain parameters in their recurring
# states (a filter form, empty).
static_urls: dict[str, str] = {}
# Addresses without arguments by (script prefix, URLconf, view name), for templates' url().
reversed_urls: dict[tuple[str, str, str], str] = {}
rendered_once: dict[str, Any] = {}
rendered_fragments: Recent[Any] = Recent(max_entries=256)
# Whole pages with what they were made from (kernel.jinja2.kept_page), at most about 4 MB: home
# for each user and state of the tiles (about 10 KB), a room table for each user and query (about
# 130 KB).
rendered_pages: Recent[tuple[Any, list[str]]] = Recent(max_entries=32)

# The history filter form of a page with no filter, one per form class (migrations_ui.forms): a
# form deep-copies its fields when it is made, 41 us on every history page; 6 us with this
# (timeit). Nothing changes an unbound form once its errors are worked out: Django's full_clean
# returns at once for one.
unbound_forms: dict[type, Any] = {}
# The history list (M3) per type and filter: it is not paged upstream; with 5,000 migrations the
# page took about 450 ms p50 fetching and parsing it, 3.3-3.5 ms with this cache (bench, issue 7).
history: StaleWhileRevalidate[Any] = StaleWhileRevalidate(
    fresh_seconds=settings.MIGRATION_HISTORY_FRESH_SECONDS,
    max_stale_seconds=settings.MIGRATION_HISTORY_MAX_STALE_SECONDS,
)
# The history list last decoded per type and filter, with the digest of the body it came from: a
# refresh whose body is unchanged keeps it rather than decoding 1.9 MB again for 5,000 migrations
# (about 25 ms holding the GIL; bench, issue 16: history-5000's p99 was 3.9 x its p50 before).
history_bodies: Recent[tuple[str, Any]] = Recent(max_entries=8)
# The room table per prison and filter (selectors.room_mappings), with the two answers it was made
# from, and its rows' HTML per table query (room_mappings.table_rows): both answers are asked for
# on every view, and only when both come back byte for byte as before are the table and rows
# reused rather than made again from 203 mappings. Bench, issue 30, two alternating runs each:
# worker CPU a request 8.6-8.8 -> 6.5-6.7 ms, p50 4.60-4.74 -> 3.82-3.89 x the floor, requests a
# second at concurrency 16 134-171 -> 217-218. Nothing is served that was not just sent.
room_tables: Recent[Any] = Recent(max_entries=8)
room_rows: Recent[tuple[Any, Any]] = Recent(max_entries=8)
# A running migration's row: its id, filter, start and estimate never change and M5 carries the
# live figures, so the polled progress fragment makes one upstream call, not two (each costs about
# 1.2 ms of `requests` and sandbox time at 0 ms latency, bench notes).
running_rows = RunningRows()
# "Started by" per history page, from our audit log: it changes only when the dashboard acts, so
# it saves one audit query per page view.
started_by: GenerationMemo[dict[str, Any]] = GenerationMemo()
# A migration's dashboard timeline on its details page, for the same reason.
timelines: GenerationMemo[list[Any]] = GenerationMemo()


# Whether each type has a migration in progress, for the home page's "Running" tags: without it
# every home page would wait on one M5 call per type shown (eleven for SYSCON_USER).
running_types = BriefValues(seconds=settings.HOME_RUNNING_TAG_SECONDS)


def reset() -> None:
    """Forget everything this process holds (tests: each starts as a fresh worker would)."""
    system_tokens.clear()
    system_token_fetches.clear()
    signed_in_users.clear()
    role_permissions.clear()
    static_urls.clear()
    reversed_urls.clear()
    rendered_once.clear()
    rendered_fragments.clear()
    rendered_pages.clear()
    unbound_forms.clear()
    running_types.clear()
    history.clear()
    history_bodies.clear()
    room_tables.clear()
    room_rows.clear()
    running_rows.clear()
    started_by.clear()
    timelines.clear()
