"""glance.page: pages forward and back with Horizon's flags; paging.scan: a
bounded read of Glance's pages that says where to carry on (pure logic)."""

import urllib.parse

from glance_rest import glance
from glance_rest.glance.paging import scan


CATALOGUE = list(range(1, 8))  # 7 items, page size 3


def fetch_from(items):
    def fetch(marker, sort_dir, count):
        ordered = items if sort_dir == "asc" else list(reversed(items))
        start = ordered.index(marker) + 1 if marker is not None else 0
        return ordered[start:start + count]
    return fetch


def page(marker=None, reversed_order=False, paginate=True, sort_dir="asc"):
    return glance.page(fetch_from(CATALOGUE), marker=marker, sort_dir=sort_dir,
                       paginate=paginate, reversed_order=reversed_order, page_size=3, limit=100)


def test_first_middle_last_pages():
    assert page() == ([1, 2, 3], True, False)
    assert page(marker=3) == ([4, 5, 6], True, True)
    assert page(marker=6) == ([7], False, True)


def test_pages_reached_backwards_keep_their_order():
    assert page(marker=7, reversed_order=True) == ([4, 5, 6], True, True)
    assert page(marker=4, reversed_order=True) == ([1, 2, 3], True, False)


def test_descending_and_unpaginated():
    assert page(sort_dir="desc") == ([7, 6, 5], True, False)
    assert page(marker=4, sort_dir="desc", reversed_order=True) == ([7, 6, 5], True, False)
    assert page(paginate=False) == (CATALOGUE, False, False)


def test_exactly_one_page():
    items = [1, 2, 3]
    result = glance.page(fetch_from(items), marker=None, sort_dir="asc", paginate=True,
                         reversed_order=False, page_size=3, limit=100)
    assert result == ([1, 2, 3], False, False)


class Pages:
    """Glance's listing of ``ids`` in pages of ``limit`` (at most ``largest``,
    as Glance's api_limit_max), with its next links."""

    def __init__(self, ids, largest=1000):
        self.ids = ids
        self.largest = largest
        self.asked = []

    def get(self, url):
        self.asked.append(url)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        limit = min(int(query["limit"][0]), self.largest)
        start = self.ids.index(query["marker"][0]) + 1 if "marker" in query else 0
        page = self.ids[start:start + limit]
        body = {"images": [{"id": i} for i in page]}
        if len(page) == limit and start + limit < len(self.ids):
            body["next"] = f"/v2/images?limit={limit}&marker={page[-1]}"
        return body


ODD = (lambda page: ([i for i in page if int(i["id"]) % 2], len(page)))
IDS = [str(n) for n in range(10)]


def ids(items):
    return [i["id"] for i in items]


def test_a_scan_stops_after_its_most_and_says_where():
    glance = Pages(IDS)
    items, resume = scan(glance, "/v2/images", "images", {}, 5, ODD, most=4)
    assert (ids(items), resume, len(glance.asked)) == (["1", "3"], "3", 1)
    items, resume = scan(glance, "/v2/images", "images", {"marker": resume}, 5, ODD, most=4)
    assert (ids(items), resume) == (["5", "7"], "7")
    items, resume = scan(glance, "/v2/images", "images", {"marker": resume}, 5, ODD, most=4)
    assert (ids(items), resume) == (["9"], None)  # the end: nothing to carry on from


def test_a_sieve_that_decides_part_of_a_page_stops_the_scan_there():
    def first_three(page):
        kept, decided = ODD(page[:3])
        return kept, decided
    items, resume = scan(Pages(IDS), "/v2/images", "images", {}, 5, first_three)
    assert (ids(items), resume) == (["1"], "2")


def test_the_next_pages_keep_the_sort_keys():
    # Glance 33's images next link keeps only the last sort_key.
    glance = Pages(IDS, largest=4)
    params = {"sort_key": ["name", "id"], "sort_dir": ["asc", "asc"]}
    scan(glance, "/v2/images", "images", params, 5, ODD, marker_key="id")
    first, then, last = glance.asked
    assert (then, last) == (first + "&marker=3", first + "&marker=7")
    assert "sort_key=name&sort_key=id" in then


def test_a_full_page_needs_no_resume():
    items, resume = scan(Pages(IDS), "/v2/images", "images", {}, 2, ODD, most=100)
    assert (ids(items), resume) == (["1", "3"], None)
