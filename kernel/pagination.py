"""GOV.UK pagination for lists the dashboard pages itself (50 rows a page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator


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
