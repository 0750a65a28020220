"""Which page links a paginated list shows: GOV.UK's pattern of first, last, the current
page and its neighbours, with ellipses between. A fixed number of links per page keeps
building a long list linear in its length."""

from __future__ import annotations

from typing import Any

NEIGHBOURS = 1


def page_numbers(current: int, total: int) -> list[int | None]:
    """Page numbers to link, ``None`` for an ellipsis: [1, None, 4, 5, 6, None, 20]."""
    wanted = {1, total, *range(current - NEIGHBOURS, current + NEIGHBOURS + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= total)
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def pagination_items(paginator: Any, page: Any, siteurl: str) -> list[dict[str, Any]]:
    """Items for the govukPagination macro from Pelican's paginator and current page."""
    items: list[dict[str, Any]] = []
    for number in page_numbers(page.number, paginator.num_pages):
        if number is None:
            items.append({"ellipsis": True})
        else:
            href = f"{siteurl}/{paginator.page(number).url}"
            items.append({"number": number, "href": href, "current": number == page.number})
    return items
