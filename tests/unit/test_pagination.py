"""glance.page: pages forward and back with Horizon's flags (pure logic)."""

from glance_rest import glance


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
