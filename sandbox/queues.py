"""An in-memory imitation of the SQS semantics the lifecycle relies on (upstream-api §5.2, §5.6).

Callers hold the engine lock around every method; nothing here locks or sleeps.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar


class Message:
    """One queue message, stored compactly: a 250,000-visit run holds that many at once.

    The migration context is shared by every message of a run; the envelope of §4.4 and the
    message id are only built when someone looks (the DLQ, logs).
    """

    __slots__ = ("_id", "context", "deleted", "kind", "payload", "receive_count")

    # Per migration type: a compact MIGRATE_ENTITY payload → its JSON body (filled in by
    # sandbox.entities from each plug-in's ``entity_body``).
    entity_bodies: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __init__(
        self, kind: str, context: dict[str, Any], payload: Any, message_id: str | None = None
    ) -> None:
        self.kind = kind
        self.context = context  # MigrationContext without "body"
        # MIGRATE_ENTITY payloads may be kept compact (visits: the bare id) to save memory.
        self.payload = payload
        self.receive_count = 0
        # Set when a purge removed the message while a worker held it: its outcome is then ignored.
        self.deleted = False
        self._id = message_id

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = str(uuid.uuid4())
        return self._id

    @property
    def payload_json(self) -> Any:
        if self.kind == "MIGRATE_ENTITY":
            expand = self.entity_bodies.get(self.context.get("type", ""))
            if expand is not None:
                return expand(self.payload)
        return self.payload

    @property
    def body(self) -> dict[str, Any]:
        """The envelope ``{"type", "context": MigrationContext with the payload as body}``."""
        return {"type": self.kind, "context": {**self.context, "body": self.payload_json}}

    @classmethod
    def from_body(cls, body: dict[str, Any], message_id: str | None = None) -> Message:
        context = dict(body.get("context") or {})
        payload = context.pop("body", None)
        return cls(str(body.get("type")), context, payload, message_id)


class MainQueue:
    """Visible (ready), delayed and in-flight messages of one type's main queue."""

    def __init__(self) -> None:
        self.ready: deque[Message] = deque()
        self.delayed: list[tuple[float, int, Message]] = []
        self.inflight: set[Message] = set()
        self._seq = itertools.count()

    def send(self, message: Message, *, now: float, delay: float = 0.0) -> None:
        if delay > 0:
            heapq.heappush(self.delayed, (now + delay, next(self._seq), message))
        else:
            self.ready.append(message)

    def _promote(self, now: float) -> None:
        delayed = self.delayed
        while delayed and delayed[0][0] <= now:
            self.ready.append(heapq.heappop(delayed)[2])

    def receive(self, now: float) -> Message | None:
        self._promote(now)
        if not self.ready:
            return None
        message = self.ready.popleft()
        message.receive_count += 1
        self.inflight.add(message)
        return message

    def next_due_in(self, now: float) -> float | None:
        return max(0.0, self.delayed[0][0] - now) if self.delayed else None

    def ack(self, message: Message) -> None:
        self.inflight.discard(message)

    def visible(self, now: float) -> int:
        self._promote(now)
        return len(self.ready)

    def in_flight(self) -> int:
        return len(self.inflight)

    def purge(self) -> int:
        """Delete every message, including delayed and in-flight ones (like ``PurgeQueue``)."""
        count = len(self.ready) + len(self.delayed) + len(self.inflight)
        self.ready.clear()
        self.delayed.clear()
        for message in self.inflight:
            message.deleted = True
        self.inflight.clear()
        return count


@dataclass(slots=True)
class DlqMessage:
    message_id: str
    body: dict[str, Any]
    hidden_until: float = 0.0


class DeadLetterQueue:
    def __init__(self) -> None:
        self.messages: list[DlqMessage] = []

    def add(self, message_id: str, body: dict[str, Any]) -> None:
        self.messages.append(DlqMessage(message_id, body))

    def visible(self, now: float) -> int:
        return sum(1 for m in self.messages if m.hidden_until <= now)

    def read(self, now: float, *, limit: int, hide_for: float) -> tuple[int, list[DlqMessage]]:
        """Read up to ``limit`` visible messages and hide them for ``hide_for`` seconds (§3.9)."""
        visible = [m for m in self.messages if m.hidden_until <= now]
        chosen = visible[:limit]
        for message in chosen:
            message.hidden_until = now + hide_for
        return len(visible), chosen

    def purge(self) -> int:
        count = len(self.messages)
        self.messages.clear()
        return count

    def drain(self) -> list[DlqMessage]:
        out, self.messages = self.messages, []
        return out
