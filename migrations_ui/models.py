"""The audit log: an append-only record of every action that changes upstream state."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db import models


class AuditLogIsAppendOnly(Exception):
    """Raised by any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads and inserts only: bulk changes and deletes are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")


class AuditEvent(models.Model):
    """One step of one action: "requested" before the upstream call, then its outcome.

    The two rows of an attempt share `attempt_id`, so an attempt with no outcome row is an
    action whose result is unknown (the dashboard stopped mid-call). An UNKNOWN outcome row is
    one the dashboard saw: the request was sent and its answer lost. Checking upstream later
    appends a follow-up with the same `attempt_id` (CONFIRMED_DONE, CONFIRMED_NOT_DONE or
    STILL_UNKNOWN); the first two settle the attempt.
    """

    class Action(models.TextChoices):
        START_MIGRATION = "START_MIGRATION", "Start migration"
        CANCEL_MIGRATION = "CANCEL_MIGRATION", "Cancel migration"
        PURGE_DEAD_LETTERS = "PURGE_DEAD_LETTERS", "Delete failure messages"
        REFRESH_COUNTS = "REFRESH_COUNTS", "Refresh counts"
        ACTIVATE_PRISON = "ACTIVATE_PRISON", "Activate prison"
        END_ACTIVITIES = "END_ACTIVITIES", "End NOMIS activities"
        MOVE_START_DATE = "MOVE_START_DATE", "Move activity start date"
        ADD_ROOM_MAPPING = "ADD_ROOM_MAPPING", "Add room mapping"
        DELETE_ROOM_MAPPING = "DELETE_ROOM_MAPPING", "Delete room mapping"

    class SubjectKind(models.TextChoices):
        """What kind of thing an action was done to; `subject_id` says which one."""

        MIGRATION = "MIGRATION", "Migration"
        DEAD_LETTER_QUEUE = "DEAD_LETTER_QUEUE", "Dead letter queue"
        ROOM_MAPPING = "ROOM_MAPPING", "Room mapping"
        # A NOMIS service's switch for one prison ("ACTIVITY MDI"), turned on by "Activate prison".
        AGENCY_SWITCH = "AGENCY_SWITCH", "NOMIS agency switch"

    class Outcome(models.TextChoices):
        REQUESTED = "REQUESTED", "Requested"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"
        # Sent, but the answer was lost (read timeout, dropped connection, unreadable success):
        # upstream may have carried it out. Someone has to look.
        UNKNOWN = "UNKNOWN", "Unknown"
        # Follow-ups of an UNKNOWN attempt, appended when the dashboard has asked upstream what
        # became of it (services.reconcile); the attempt's earlier rows are never changed.
        CONFIRMED_DONE = "CONFIRMED_DONE", "Confirmed done"
        CONFIRMED_NOT_DONE = "CONFIRMED_NOT_DONE", "Confirmed not done"
        STILL_UNKNOWN = "STILL_UNKNOWN", "Still unknown"

    occurred_at = models.DateTimeField(auto_now_add=True)
    attempt_id = models.UUIDField(default=uuid.uuid4)
    # Who
    username = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    auth_source = models.CharField(max_length=20, blank=True)
    # What
    action = models.CharField(max_length=40, choices=Action.choices)
    # The subject: what the action was done to, whatever it is ("<TYPE> 2024-01-01T10:00:00" for
    # a migration, "<TYPE>" for a type's dead letter queue, "MDI / Room 1" for a room mapping).
    subject_kind = models.CharField(max_length=40, choices=SubjectKind.choices)
    subject_id = models.CharField(max_length=200, blank=True)
    # Set when the subject belongs to a migration type, so its pages can find their events.
    migration_type = models.CharField(max_length=40, blank=True)
    migration_id = models.CharField(max_length=40, blank=True)
    filter = models.JSONField(null=True, blank=True)
    estimate = models.BigIntegerField(null=True, blank=True)
    # Anything else worth keeping about the action (a room mapping's DPS description, ...).
    details = models.JSONField(null=True, blank=True)
    # Outcome
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    # Where from
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["occurred_at"], name="audit_occurred_at_idx"),
            models.Index(fields=["migration_type", "migration_id"], name="audit_migration_idx"),
            models.Index(fields=["attempt_id"], name="audit_attempt_idx"),
            models.Index(fields=["subject_kind", "subject_id"], name="audit_subject_idx"),
        ]
        # Add only: no "change" or "delete" permission is ever granted.
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")
