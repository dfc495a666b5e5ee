"""GOV.UK pagination for lists the dashboard pages itself (50 rows a page)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator


def govuk_pagination(
    paginator: Paginator, current: int, href: Callable[[int], str]
) -> dict[str, Any] | None:
    """Parameters for the govukPagination macro, or None when there is only one page.

    `href(number)` builds a page's link, keeping whatever filters the list has.
    """
    if paginator.num_pages <= 1:
        return None
    items: list[dict[str, Any]] = []
    for number in paginator.get_elided_page_range(current, on_each_side=2, on_ends=1):
        if number == paginator.ELLIPSIS:
            items.append({"ellipsis": True})
        else:
            items.append(
                {"number": number, "href": href(int(number)), "current": number == current}
            )
    pagination: dict[str, Any] = {"items": items}
    if current > 1:
        pagination["previous"] = {"href": href(current - 1)}
    if current < paginator.num_pages:
        pagination["next"] = {"href": href(current + 1)}
    return pagination


@dataclass(frozen=True)
class ListLinks:
    """The links of a filtered list: its pages, and the removal of each filter in use.

    `url(query)` builds the list's address for a query; `filters` are those in use, as typed.
    """

    filters: dict[str, str]
    url: Callable[[dict[str, Any]], str]

    def pagination(self, page: Page[Any] | None) -> dict[str, Any] | None:
        if page is None:
            return None
        return govuk_pagination(
            page.paginator, page.number, lambda number: self.url({**self.filters, "page": number})
        )

    def filter_tags(self, active: Iterable[tuple[str, ...]]) -> list[tuple[str, str]]:
        """(tag label, the list without that filter) for each `(key, label, ...)` in use."""
        return [
            (label, self.url({k: v for k, v in self.filters.items() if k != key}))
            for key, label, *_ in active
        ]
