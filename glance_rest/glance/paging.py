"""Paging a Glance listing both ways with Horizon's flags (``has_more_data``,
``has_prev_data``), following Glance's ``next`` links."""

import urllib.parse

from ..conf import settings

# Glance refuses larger pages (api_limit_max).
GLANCE_MAX_PAGE = 1000


def flip(sort_dir):
    return "asc" if sort_dir == "desc" else "desc"


def page(fetch, *, marker, sort_dir, paginate, reversed_order, page_size, limit):
    """One page of a listing, in the requested order, with Horizon's flags.

    ``fetch(marker, sort_dir, count)`` returns up to ``count`` items after
    ``marker`` in that direction. A page before ``marker`` (``reversed_order``)
    is fetched in the opposite direction and then reversed, which restores
    the requested order exactly whatever the sort key's type.
    """
    count = page_size + 1 if paginate else limit
    direction = flip(sort_dir) if reversed_order else sort_dir
    items = fetch(marker=marker, sort_dir=direction, count=count)
    has_more = has_prev = False
    if paginate:
        if len(items) > page_size:
            items = items[:page_size]
            # Fetched backwards, the extra item lies before this page.
            if reversed_order:
                has_prev, has_more = True, True
            else:
                has_more, has_prev = True, marker is not None
        elif reversed_order:
            has_more = marker is not None
        else:
            has_prev = marker is not None
        if reversed_order:
            items.reverse()
    return items, has_more, has_prev


def listing(fetch, *, marker, sort_dir, paginate, reversed_order, page_size, **_):
    """A page of ``page_size`` (the caller's, conf.page_size), or up to
    API_RESULT_LIMIT items unpaged; the options are checked by params.py."""
    return page(fetch, marker=marker, sort_dir=sort_dir, paginate=paginate,
                reversed_order=reversed_order, page_size=page_size,
                limit=settings.API_RESULT_LIMIT)


def fetch_all(glance, path, key, params, count, keep=None):
    """Follow Glance's ``next`` links until ``count`` items (those ``keep``
    accepts, if given) are collected."""
    sieve = None if keep is None else (lambda page: ([i for i in page if keep(i)], len(page)))
    return scan(glance, path, key, params, count, sieve)[0]


def scan(glance, path, key, params, count, sieve=None, most=None, marker_key=None):
    """Follow Glance's ``next`` links until ``count`` items are collected, or
    ``most`` items (if given) have been read. With ``marker_key``, the next
    page is asked with ``params`` and the last item's ``marker_key`` instead:
    Glance's images ``next`` link keeps only the last ``sort_key`` (Glance 33),
    so the pages after the first would come in another order.

    ``sieve(page)`` gives (the items of one of Glance's pages to keep, how many
    of its first items it could decide). Returns (items, resume): ``resume``
    is the id of the last item read when the scan stopped before the end of
    the listing and before ``count`` items (None otherwise), to carry on from.
    """
    items = []
    query = dict(params)
    # With a test Glance cannot apply, Glance's largest pages: few of the
    # items may pass it (an orphaned image among thousands).
    size = GLANCE_MAX_PAGE if sieve else min(count, GLANCE_MAX_PAGE)
    query["limit"] = size if most is None else max(1, min(size, most))
    url = f"{path}?{urllib.parse.urlencode(query, doseq=True)}"
    read, last = 0, params.get("marker")
    while url and len(items) < count:
        if most is not None and read >= most:
            return items, last
        body = glance.get(url)
        page = body.get(key, [])
        kept, decided = sieve(page) if sieve else (page, len(page))
        items.extend(kept)
        read += decided
        if decided:
            last = page[decided - 1].get("id")
        if decided < len(page):
            return items[:count], (last if len(items) < count else None)
        url = body.get("next")
        if url and marker_key:
            query["marker"] = page[-1][marker_key]
            url = f"{path}?{urllib.parse.urlencode(query, doseq=True)}"
    return items[:count], None
