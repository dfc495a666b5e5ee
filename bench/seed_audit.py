"""`python -m bench.seed_audit N`: write N audit events into DATABASE_URL's database.

The benchmark's audit review and CSV export are measured against a log of the size a busy year
leaves (100,000 events): every action, outcome and migration type, spread over a year, written in
batches as the application would have written them one by one.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomis_sync.settings")
    import django

    django.setup()
    from migrations_ui import types
    from migrations_ui.models import AuditEvent

    # Seeded events carry their own times; the application's are always "now".
    AuditEvent._meta.get_field("occurred_at").auto_now_add = False
    slugs = [t.upstream_type for t in types.REGISTERED]
    actions = list(AuditEvent.Action)
    outcomes = [AuditEvent.Outcome.SUCCEEDED] * 8 + [
        AuditEvent.Outcome.REQUESTED,
        AuditEvent.Outcome.FAILED,
    ]
    users = [f"USER_{n:02}" for n in range(40)]
    start = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    step = dt.timedelta(days=365) / max(count, 1)
    batch: list[AuditEvent] = []
    for n in range(count):
        migration_type = slugs[n % len(slugs)]
        migration_id = (start + step * n).strftime("%Y-%m-%dT%H:%M:%S")
        batch.append(
            AuditEvent(
                occurred_at=start + step * n,
                attempt_id=uuid.UUID(int=n + 1),
                username=users[n % len(users)],
                display_name=f"User {n % len(users)}",
                auth_source="nomis",
                action=actions[n % len(actions)],
                subject_kind=AuditEvent.SubjectKind.MIGRATION,
                subject_id=f"{migration_type} {migration_id}",
                migration_type=migration_type,
                migration_id=migration_id,
                filter={"prisonIds": ["HEI", "MDI"], "fromDate": "2024-01-01"},
                estimate=n % 5000,
                outcome=outcomes[n % len(outcomes)],
                upstream_status=202,
                request_id=uuid.UUID(int=n + 1).hex,
                client_ip="10.0.0.1",
            )
        )
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


if __name__ == "__main__":
    main(int(sys.argv[1]))
