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
    items = []
    query = dict(params)
    # With a test Glance cannot apply, Glance's largest pages: few of the
    # items may pass it (an orphaned image among thousands).
    query["limit"] = GLANCE_MAX_PAGE if keep else min(count, GLANCE_MAX_PAGE)
    url = f"{path}?{urllib.parse.urlencode(query, doseq=True)}"
    while url and len(items) < count:
        body = glance.get(url)
        items.extend(item for item in body.get(key, []) if keep is None or keep(item))
        url = body.get("next")
    return items[:count]
