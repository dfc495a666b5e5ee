"""The contract between the generic lifecycle (sandbox.lifecycle) and one entity plug-in.

A plug-in says only what differs between migration types (upstream-api-types.md §5): its start
body, estimate, id paging, how one record migrates and where its data and mappings live. Queues,
retries, the dead-letter queue, cancel, completion and counters are the lifecycle's.

Nothing here imports the lifecycle or the engine at run time, so plug-ins can be imported by the
scenario builder without pulling in the worker machinery.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State


class RecordFailed(Exception):
    """The message fails: the lifecycle retries it, then (``max_deliveries``) dead-letters it."""


class DownstreamError(Exception):
    """An (injected) failure of a service the migration service calls; fails the message too."""

    def __init__(self, service: str, path: str, detail: str) -> None:
        super().__init__(f"{service} {path}: {detail}")
        self.service = service
        self.path = path


@dataclass
class StartRequest:
    """A validated start body, as the migration service keeps it.

    ``body`` is the ``MigrationContext.body`` of the 202 and of ``MIGRATE_ENTITIES``;
    ``filter_json`` the history row's ``filter`` text; ``properties`` the context's properties.
    """

    body: Any
    filter_json: str
    properties: dict[str, Any] = field(default_factory=dict)


class Entity(ABC):
    """One migration type. Subclasses set the class attributes and implement the methods."""

    # The migration service's ``MigrationType`` (``VISITS``).
    migration_type: str
    # Start path: ``POST /migrate/<slug>``.
    slug: str
    # Telemetry events are ``<event_prefix>-migration-started`` and so on.
    event_prefix: str
    # The hmpps-sqs queue id (``migrationvisits``); queue and DLQ names derive from it.
    queue_id: str
    # Module with ``nomis_patterns``, ``mapping_patterns`` and ``migration_patterns`` lists.
    urls_module: str
    # The ``MigrationType`` of each type whose scenario data ``populate`` reads (prisoner balance
    # draws its balances from court sentencing's prisoners): theirs is built first.
    depends_on: tuple[str, ...] = ()

    @property
    def queue_short(self) -> str:
        return self.queue_id.removeprefix("migration")

    @property
    def queue_name(self) -> str:
        return f"migration_{self.queue_short}_queue"

    @property
    def dlq_name(self) -> str:
        return f"migration_{self.queue_short}_dlq"

    @property
    def dlq_event(self) -> str:
        return f"prisoner-from-nomis-migration-{self.queue_short}-sent-to-dlq"

    # -- Data

    @abstractmethod
    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        """Put this type's NOMIS data and mappings (and any scenario history) into ``state``."""

    @abstractmethod
    def summary(self, state: State) -> dict[str, int]:
        """Counts for ``GET /__sandbox/state``."""

    @abstractmethod
    def migrated_count(self, state: State, migration_id: str) -> int:
        """The mapping service's "migrated" count for a run (caller holds the engine lock)."""

    # -- Lifecycle steps

    @abstractmethod
    def start_request(self, raw: bytes) -> StartRequest:
        """Validate the start request body (raise ``sandbox.util.BadRequest`` for a 400)."""

    @abstractmethod
    def estimate(self, job: Job, body: Any) -> int:
        """The estimated record count (the NOMIS count call, through ``job.downstream``)."""

    @abstractmethod
    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        """One page of ``MIGRATE_ENTITY`` payloads (compact forms allowed, see ``entity_body``)."""

    def entity_body(self, payload: Any) -> Any:
        """The JSON body of a ``MIGRATE_ENTITY`` payload kept in a compact form on the queue."""
        return payload

    @abstractmethod
    def migrate(self, job: Job, body: Any) -> None:
        """Migrate one record; raise :class:`RecordFailed` (or let DownstreamError out) to fail."""

    def retry_mapping(self, job: Job, body: Any) -> None:
        """Handle ``RETRY_MIGRATION_MAPPING``; only types that send one need this."""
        raise RecordFailed(f"{self.migration_type} has no mapping retry")
