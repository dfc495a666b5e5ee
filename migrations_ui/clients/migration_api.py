"""The migration service (`hmpps-prisoner-from-nomis-migration`), endpoints M1-M10.

Contract: upstream-api.md §3 (endpoints) and §4 (shapes). Payloads are parsed into dataclasses at
this boundary; a 2xx body of the wrong shape becomes `MalformedResponse`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

from kernel.formatting import parse_local_datetime
from kernel.lazy import LazyMap
from migrations_ui.clients.base import SystemTokenClient
from upstream import MalformedResponse, path_segment

T = TypeVar("T")

# Statuses in which a migration is still "in progress" and blocks a new start (§5.1).
IN_PROGRESS_STATUSES = frozenset({"STARTED", "CANCELLED_REQUESTED"})
ENDED_STATUSES = frozenset({"COMPLETED", "CANCELLED"})


class _Invalid(ValueError):
    """A field is missing or has the wrong type; turned into MalformedResponse by the client."""


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(key)
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = _opt_str(data, key)
    if value is None:
        raise _Invalid(key)
    return value


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(key)
    return int(value)


def _int(data: Mapping[str, Any], key: str) -> int:
    """A count: missing or null reads as 0."""
    value = _opt_int(data, key)
    return 0 if value is None else value


def _opt_datetime(data: Mapping[str, Any], key: str) -> dt.datetime | None:
    text = _opt_str(data, key)
    if not text:
        return None
    try:
        return parse_local_datetime(text)
    except ValueError as exc:
        raise _Invalid(key) from exc


def _object(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Invalid(key)
    return value


def parse_filter(text: str | None) -> dict[str, Any]:
    """A history row's `filter` string (§4.2) as a mapping; unreadable or non-object text gives {}.

    The filter is informative only, so an odd stored value must not break the whole list. Each
    type stores its own shape (visits a `VisitsMigrationFilter`, visit slots the JSON text `""`);
    the type's package says how to show it.
    """
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        return {}
    return raw if isinstance(raw, dict) else {}


@dataclass(frozen=True)
class MigrationHistory:
    """One migration (M3 list item, M4), §4.2."""

    migration_id: str
    status: str
    migration_type: str
    when_started: dt.datetime | None
    when_ended: dt.datetime | None
    estimated_record_count: int
    records_migrated: int
    records_failed: int
    filter: dict[str, Any]

    @classmethod
    def from_json(cls, data: Any) -> MigrationHistory:
        data = _object(data, "MigrationHistory")
        return cls(
            migration_id=_str(data, "migrationId"),
            status=_str(data, "status"),
            migration_type=_opt_str(data, "migrationType") or "",
            when_started=_opt_datetime(data, "whenStarted"),
            when_ended=_opt_datetime(data, "whenEnded"),
            estimated_record_count=_int(data, "estimatedRecordCount"),
            records_migrated=_int(data, "recordsMigrated"),
            records_failed=_int(data, "recordsFailed"),
            filter=parse_filter(_opt_str(data, "filter")),
        )

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES


@dataclass(frozen=True)
class InProgressMigration:
    """M5's live figures for the latest migration of a type (§4.3); every field may be null."""

    migration_id: str | None
    status: str | None
    records_migrated: int | None
    # Queue figures: None when the service could not read them (shown as "unknown", never 0).
    to_be_processed: int | None
    being_processed: int | None
    records_failed: int | None
    estimated_record_count: int | None
    when_started: dt.datetime | None

    @classmethod
    def from_json(cls, data: Any) -> InProgressMigration:
        data = _object(data, "InProgressMigration")
        return cls(
            migration_id=_opt_str(data, "migrationId"),
            status=_opt_str(data, "status"),
            records_migrated=_opt_int(data, "recordsMigrated"),
            to_be_processed=_opt_int(data, "toBeProcessedCount"),
            being_processed=_opt_int(data, "beingProcessedCount"),
            records_failed=_opt_int(data, "recordsFailed"),
            estimated_record_count=_opt_int(data, "estimatedRecordCount"),
            when_started=_opt_datetime(data, "whenStarted"),
        )

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES


@dataclass(frozen=True)
class MigrationContext:
    """M1's 202 answer (§4.1)."""

    migration_id: str
    estimated_count: int
    body: dict[str, Any]

    @classmethod
    def from_json(cls, data: Any) -> MigrationContext:
        data = _object(data, "MigrationContext")
        body = data.get("body")
        return cls(
            migration_id=_str(data, "migrationId"),
            estimated_count=_int(data, "estimatedCount"),
            body=dict(body) if isinstance(body, Mapping) else {},
        )


@dataclass(frozen=True)
class RoomUsage:
    """One row of M2 (§4.5); `vsip_room` is None for an unmapped room."""

    prison_id: str
    description: str
    count: int
    vsip_room: str | None

    @classmethod
    def from_json(cls, data: Any) -> RoomUsage:
        data = _object(data, "VisitRoomUsageResponse")
        return cls(
            prison_id=_opt_str(data, "prisonId") or "",
            description=_str(data, "agencyInternalLocationDescription"),
            count=_int(data, "count"),
            vsip_room=_opt_str(data, "vsipRoom"),
        )


@dataclass(frozen=True)
class DlqMessage:
    """One dead-letter message (§4.4, upstream-api-types.md §5): any `type`, any entity body.

    `entity` is the message's `context.body`, the record that failed, whose shape depends on the
    migration type (`{"visitId": 1}`, `{"offenderNo": "A1234AA"}`, a bare number...).
    """

    message_id: str
    body: Any
    message_type: str
    migration_id: str
    entity: Any

    @classmethod
    def from_json(cls, data: Any) -> DlqMessage:
        data = _object(data, "DLQ message")
        body = data.get("body")
        envelope = body if isinstance(body, Mapping) else {}
        context = envelope.get("context")
        context = context if isinstance(context, Mapping) else {}
        return cls(
            message_id=_str(data, "messageId"),
            body=body,
            message_type=str(envelope.get("type") or ""),
            migration_id=str(context.get("migrationId") or ""),
            entity=context.get("body"),
        )


@dataclass(frozen=True)
class DlqResult:
    """M8's answer (§4.4)."""

    messages_found: int
    messages: list[DlqMessage]

    @classmethod
    def from_json(cls, data: Any) -> DlqResult:
        data = _object(data, "GetDlqResult")
        # A list without its messages would read as "no failures": it is malformed instead.
        raw_messages = data.get("messages")
        if not isinstance(raw_messages, list):
            raise _Invalid("messages")
        return cls(
            messages_found=_int(data, "messagesFoundCount"),
            messages=[DlqMessage.from_json(m) for m in raw_messages],
        )


class MigrationApiClient(SystemTokenClient):
    """The migration service's `/migrate/**` endpoints."""

    service = "migration service"
    url_setting = "NOMIS_MIGRATION_API_URL"
    timeout_key = "nomisMigrationApi"

    def _parse(self, response: requests.Response, what: str, parser: Callable[[Any], T]) -> T:
        try:
            return parser(self.json_of(response))
        except _Invalid as exc:
            raise self.malformed(response, what) from exc

    def start(self, start_path: str, body: Mapping[str, Any] | None) -> MigrationContext:
        """`POST /migrate/{start_path}` (M1, S1-S10): 202 `MigrationContext`; 409 if one of the
        type is in progress. Types that take no filter (visit slots) are sent no body at all.
        """
        response = self.call(
            "POST",
            f"/migrate/{start_path}",
            json_body=dict(body) if body is not None else None,
        )
        return self._parse(response, "migration context", MigrationContext.from_json)

    def visit_rooms_usage(self, params: Mapping[str, Any]) -> list[RoomUsage]:
        """M2 `GET /migrate/visits/rooms/usage`: future visits per room, mapped or not."""
        response = self.call("GET", "/migrate/visits/rooms/usage", params=params)
        return self._parse(response, "room usage list", _list_of(RoomUsage.from_json))

    def history(
        self, migration_type: str, params: Mapping[str, Any] | None = None
    ) -> LazyMap[Any, MigrationHistory]:
        """M3 `GET /migrate/history/all/{migrationType}`: newest first, not paged.

        The history can hold thousands of rows of which a page shows 50, so rows are parsed
        into `MigrationHistory` only when read; a malformed row still raises MalformedResponse.
        """
        _, migrations = self.history_if_changed(migration_type, params, known_digest=None)
        assert migrations is not None  # noqa: S101 (no digest given: always decoded)
        return migrations

    def history_if_changed(
        self, migration_type: str, params: Mapping[str, Any] | None, *, known_digest: str | None
    ) -> tuple[str, LazyMap[Any, MigrationHistory] | None]:
        """M3 as `history`, with a digest of the body; None for the list when the body's digest
        is `known_digest`, which the caller has decoded already.

        A history of 5,000 migrations is 1.9 MB of JSON, whose decoding holds the GIL for about
        25 ms: every request its worker serves meanwhile waits (bench: that page's p99 at 3.9 x its
        p50 while the list was refreshed every 5 s). Reading and hashing the body do not hold it,
        and the body rarely changes between refreshes (a running migration's row keeps its
        stored figures until it ends).
        """
        response = self.call(
            "GET", f"/migrate/history/all/{path_segment(migration_type)}", params=params
        )
        digest = hashlib.blake2b(response.content, digest_size=16).hexdigest()
        if digest == known_digest:
            return digest, None
        data = self.json_of(response)
        if not isinstance(data, list):
            raise self.malformed(response, "migration history")
        url = response.url

        def parse(item: Any) -> MigrationHistory:
            try:
                return MigrationHistory.from_json(item)
            except _Invalid as exc:
                raise MalformedResponse(
                    self.service, "sent a migration history the dashboard could not read", url=url
                ) from exc

        return digest, LazyMap(data, parse)

    def migration(self, migration_id: str) -> MigrationHistory:
        """M4 `GET /migrate/history/{migrationId}`; 404 for an unknown id."""
        response = self.call("GET", f"/migrate/history/{path_segment(migration_id)}")
        return self._parse(response, "migration", MigrationHistory.from_json)

    def active(self, migration_type: str) -> InProgressMigration:
        """M5 `GET /migrate/history/active/{migrationType}`: live figures of the latest run."""
        response = self.call("GET", f"/migrate/history/active/{path_segment(migration_type)}")
        return self._parse(response, "progress report", InProgressMigration.from_json)

    def cancel(self, migration_id: str) -> None:
        """M6 `POST /migrate/cancel/{migrationId}`: 202, empty."""
        self.call("POST", f"/migrate/cancel/{path_segment(migration_id)}")

    def refresh(self, migration_id: str) -> None:
        """M7 `POST /migrate/refresh/{migrationId}`: 204; 400 unless COMPLETED."""
        self.call("POST", f"/migrate/refresh/{path_segment(migration_id)}")

    def dead_letters(self, migration_type: str) -> DlqResult:
        """M8 `GET /migrate/dead-letter-queue/{migrationType}`: up to 100 messages."""
        response = self.call("GET", f"/migrate/dead-letter-queue/{path_segment(migration_type)}")
        return self._parse(response, "dead letter list", DlqResult.from_json)

    def dead_letter_count(self, migration_type: str) -> int:
        """M9 `GET /migrate/dead-letter-queue/{migrationType}/count`: a bare number.

        A numeric string is accepted too (§3.9: the bare serialisation is unconfirmed).
        """
        response = self.call(
            "GET", f"/migrate/dead-letter-queue/{path_segment(migration_type)}/count"
        )
        value = self.json_of(response)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.malformed(response, "dead letter count")
        return int(value)

    def purge_dead_letters(self, migration_type: str) -> None:
        """M10 `DELETE /migrate/dead-letter-queue/{migrationType}`: 204 (or 200 with a count)."""
        self.call("DELETE", f"/migrate/dead-letter-queue/{path_segment(migration_type)}")

    # -- Activities (S11, S12)

    def end_activities(self, migration_id: str) -> None:
        """S11 `PUT /migrate/activities/{migrationId}/end`: ends the run's NOMIS activities on
        its start date - 1 day; 404 when the run has no activity mappings.
        """
        self.call("PUT", f"/migrate/activities/{path_segment(migration_id)}/end")

    def move_activity_start_dates(self, migration_id: str, new_start_date: str) -> list[str]:
        """S12 `PUT /migrate/activities/{migrationId}/move-start-dates`: DPS's warnings.

        Refusals are 400s with a `userMessage`; a downstream failure is a 500 whose body says
        400 (upstream-api-types.md §4.1), which callers show by its `userMessage` too.
        """
        response = self.call(
            "PUT",
            f"/migrate/activities/{path_segment(migration_id)}/move-start-dates",
            json_body={"newActivityStartDate": new_start_date},
        )
        if not response.content.strip():
            return []
        body = self.json_of(response)
        if not isinstance(body, list):
            raise self.malformed(response, "list of warnings")
        return [str(warning) for warning in body if warning is not None]


def _list_of(parser: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def parse(data: Any) -> list[T]:
        if not isinstance(data, list):
            raise _Invalid("list")
        return [parser(item) for item in data]

    return parse
