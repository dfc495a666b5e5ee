"""What a migration type is: the one interface generic pages, services and selectors use.

A type's package (`migrations_ui/types/<slug>/`) builds one `MigrationType` and holds only what
differs between types: its start form, its estimate and any extra pre-flight checks, how its
stored filter reads, the words for its records and its App Insights log line. Generic code never
names a type (style.md §13).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrations_ui.forms import MigrationFilterForm

# The role that may use every page of every type (reference-dashboard.md §3).
SYSCON_ROLE = "MIGRATE_NOMIS_SYSCON"


@dataclass(frozen=True)
class Line:
    """One labelled value: a preview summary row or a line of a stored filter.

    `key` names the form field a preview row's "Change" link jumps to, and the `data-qa` hook.
    """

    key: str
    label: str
    value: str
    # The preview row's `data-qa` hook, when it is not the key.
    qa: str = ""


@dataclass(frozen=True)
class Link:
    """A link a history row offers besides the standard ones (App Insights queries, mostly)."""

    key: str
    text: str
    url: str
    # Opens in a new tab (an external portal), announced to screen readers.
    external: bool = True


# (username, start filter) -> a number of records, or a value a check shows on the preview.
Check = Callable[[str | None, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class MigrationType:
    # Python-safe name: permissions, URL namespaces, session keys, template folders.
    slug: str
    # The migration service's `MigrationType` (upstream-api.md §4.6, upstream-api-types.md §1.2).
    upstream_type: str
    # The existing dashboard's prefix, so bookmarks keep working ("<name>-migration").
    url_prefix: str
    # `POST /migrate/<start_path>` starts one (M1, S1-S10).
    start_path: str
    # Sentence-case name for headings and tiles ("Court sentencing", as GOV.UK writes headings),
    # and the records it moves in sentences ("Estimated number of prisoners to be migrated").
    name: str
    records: str
    # One line on the home tile saying what the type moves, and where to ("Visits of one or more
    # prisons, from NOMIS into the Visit someone in prison service"). Required: a new type says it.
    description: str
    # Roles, besides MIGRATE_NOMIS_SYSCON, that may use every page of the type.
    roles: tuple[str, ...]
    form: type[MigrationFilterForm]
    # (username, filter) -> the estimated record count shown on the preview.
    estimate: Check
    # The preview's rows for the filter ("Prison codes: HEI, MDI").
    summary: Callable[[Mapping[str, Any]], list[Line]]
    # A stored filter (the history row's parsed `filter`) as lines for the list and details.
    filter_lines: Callable[[Mapping[str, Any]], list[Line]]
    # The failures page's entity id column: its heading and how a message's entity body reads.
    entity_id_label: str
    entity_id: Callable[[Any], str]
    # The start of the line the service logs when it skips an already migrated record, or None
    # when the type never skips (then no "already migrated" link is offered).
    already_migrated_log: str | None
    # A start form that, on the sandbox's default data, starts a migration of many records (the
    # benchmark and demos use it): `(tomorrow) -> fields`, tomorrow as "YYYY-MM-DD" for forms
    # whose dates must be after today.
    sample_form: Callable[[str], dict[str, str]]
    # Extra pre-flight checks run beside the estimate, dead letters and "already running",
    # keyed by name; a type's preview template shows their results.
    extra_checks: Mapping[str, Check] = field(default_factory=dict)
    # Template overrides, by generic template name: only where a page really differs. One is an
    # optional addition rather than an override: `_history_help.html` (how to run the type,
    # above its history list).
    templates: Mapping[str, str] = field(default_factory=dict)
    # What each extra check looks at ("Room mappings"), for the preview's error line when it
    # could not be made ("Room mappings could not be checked: ..."). A type whose preview words
    # its own error lines (activities) needs none.
    check_names: Mapping[str, str] = field(default_factory=dict)
    # Whether the form has any field (no filter: the start page is a plain "Continue").
    has_filter: bool = True
    # Whether the type has a failures page (activities, allocations and TAPs link to App
    # Insights instead, upstream-api-types.md §1.2).
    has_failures_page: bool = True
    # More links for a history row (`MigrationHistory` -> links), e.g. App Insights queries.
    row_links: Callable[[Any], list[Link]] | None = None
    # A history row's follow-up steps (`MigrationHistory` -> links to the type's own pages, e.g.
    # activities' "End NOMIS activities"), offered only to users who may start the type. Asked
    # on every page, unlike `row_links`: what is offered can change with the day.
    row_actions: Callable[[Any], list[Link]] | None = None
    # More pages of the type (activities' "Move start date"...): `(type) -> [path(...), ...]`,
    # mounted under the type's prefix and namespace.
    extra_urls: Callable[[MigrationType], list[Any]] | None = None

    # -- Words

    @property
    def lower_name(self) -> str:
        """The name inside a sentence: "Start a new court sentencing migration"."""
        return self.name.lower()

    @property
    def tile_title(self) -> str:
        return f"{self.name} migration"

    # -- Permissions (granted by role, accounts.permissions)

    def permission(self, action: str) -> str:
        return f"migrations_ui.{action}_{self.slug}_migration"

    @property
    def view_permission(self) -> str:
        return self.permission("view")

    @property
    def start_permission(self) -> str:
        return self.permission("start")

    @property
    def cancel_permission(self) -> str:
        return self.permission("cancel")

    @property
    def dead_letters_permission(self) -> str:
        return f"migrations_ui.manage_{self.slug}_dead_letters"

    @property
    def permissions(self) -> tuple[str, ...]:
        return (
            self.view_permission,
            self.start_permission,
            self.cancel_permission,
            self.dead_letters_permission,
        )

    # -- Pages

    @property
    def namespace(self) -> str:
        return self.slug

    @property
    def home_href(self) -> str:
        return f"/{self.url_prefix}/"

    def template(self, name: str) -> str:
        return self.templates.get(name, f"migrations_ui/{name}")

    @property
    def history_help_template(self) -> str | None:
        """How to run the type, shown above its history list (only where the steps need telling)."""
        return self.templates.get("_history_help.html")


def text_list(value: Any) -> str:
    """A stored list (or a comma-separated string) as "A, B"."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value or "")


def entity_field(name: str) -> Callable[[Any], str]:
    """Reads one field of a dead-letter message's entity body (`context.body`)."""

    def read(body: Any) -> str:
        if isinstance(body, Mapping):
            value = body.get(name)
            return "" if value is None or isinstance(value, (dict, list)) else str(value)
        return ""

    return read


def event_links(event_prefix: str) -> Callable[[Any], list[Link]]:
    """A history row's App Insights links for a type without a failures page (query C):
    every event of the run, and its failures when it has any.
    """
    from migrations_ui import insights

    def links(migration: Any) -> list[Link]:
        def url(failures_only: bool) -> str:
            return insights.migration_events_url(
                event_prefix,
                migration.migration_id,
                migration.when_started,
                migration.when_ended,
                failures_only=failures_only,
            )

        found = [Link("all-events", "View all migration events in App Insights", url(False))]
        if migration.records_failed > 0:
            found.append(Link("insights-failures", "View failures in App Insights", url(True)))
        return found

    return links
