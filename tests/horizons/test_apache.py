"""Horizon as Debian, Ubuntu and kolla deploy it (Apache 2.4, mod_wsgi in
daemon mode, memcached), with this app mounted: what Apache itself does to
large and chunked uploads, and what the user then sees. make test-horizons
runs it on the oldest and the newest release (HORIZONS_APACHE); the Images
panel itself under Apache is tests/browser/test_inside_horizon.py.

Uploads are sent with curl, as an operator's script sends them, with a
Keystone token (token callers work inside Horizon too).
"""

import hashlib
import os
import subprocess
import threading

import pytest

from stack.testing import ApacheHorizon, apache_horizons
from tests.helpers import unique, wait_for_status

pytestmark = [pytest.mark.stack, pytest.mark.slow]

MIB = 1024 * 1024
# Past Apache's default LimitRequestBody (1 GiB since 2.4.54).
OVER_A_GIB = 1100 * MIB


RELEASES = apache_horizons()
if not RELEASES:  # would be an empty parametrization: say what it needs
    pytest.fail("HORIZONS_APACHE names no release to serve under Apache: make test-horizons "
                "sets it (HORIZONS_APACHE=\"2025.1 2026.2\")", pytrace=False)


@pytest.fixture(scope="module", params=RELEASES)
def apache(request, stack, tmp_path_factory):
    server = ApacheHorizon(stack, tmp_path_factory.mktemp("apache"), mounted=True,
                           webroot="/dashboard/", release=request.param).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """1,100 MiB of zeros (raw), sparse on disk."""
    path = tmp_path_factory.mktemp("big") / "disk.raw"
    with open(path, "wb") as out:
        out.truncate(OVER_A_GIB)
    return path


def curl(*args, stdin=None):
    """curl's status code and body (curl reads an early answer, such as a
    413 sent before the body is whole, where a plain client sees a reset)."""
    done = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args],
                          input=stdin, capture_output=True, timeout=600)
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), body.decode(errors="replace")


def legacy_create(apache, token, name, path):
    return curl("-H", f"X-Auth-Token: {token}", "-F", f"name={name}", "-F", "disk_format=raw",
                "-F", "container_format=bare", "-F", f"data=@{path};type=application/octet-stream",
                f"{apache.url}api/glance/images/")


def images_named(stack, name):
    return list(stack.glance("demo").images.list(filters={"name": name}))


def test_over_apaches_default_limit_is_refused_and_no_image_is_left(apache, stack, tokens,
                                                                   big_file):
    """Apache answers 413 before Horizon sees the body: nothing is created."""
    name = unique("apache-big")
    status, body = legacy_create(apache, tokens("demo"), name, big_file)
    assert status == 413, body[:500]
    assert "Request Entity Too Large" in body  # Apache's own page, not this app's
    assert images_named(stack, name) == []


class PeakRss:
    """Apache's and the mod_wsgi daemons' summed RSS, sampled while a block runs."""

    def __init__(self, server):
        self.server = server
        self.peak = 0
        self._done = threading.Event()

    def _sample(self):
        while not self._done.wait(0.2):
            self.peak = max(self.peak, self.server.rss_kib())

    def __enter__(self):
        self.start = self.server.rss_kib()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def test_over_a_gib_with_the_limit_lifted_streams_to_glance(apache, stack, tokens, big_file):
    """The operator's one line (LimitRequestBody 0): the upload streams through
    mod_wsgi and this app to Glance, with the daemons' memory bounded."""
    apache.limit_request_body = 0
    apache.restart()
    try:
        name = unique("apache-big-ok")
        with PeakRss(apache) as rss:
            status, body = legacy_create(apache, tokens("demo"), name, big_file)
        assert status == 201, body[:500]
        image = stack.glance("demo").images.get(images_named(stack, name)[0].id)
        assert image.status == "active" and image.size == OVER_A_GIB
        growth_mib = (rss.peak - rss.start) / 1024
        assert rss.start > 0 and growth_mib < 128, (rss.start, rss.peak)
        stack.glance("demo").images.delete(image.id)
    finally:
        apache.limit_request_body = None
        apache.restart()


def test_a_chunked_body_is_stored(apache, stack, tokens):
    """curl -T - sends Transfer-Encoding: chunked; mod_wsgi passes it on
    (WSGIChunkedRequest On) and this app reads it to its end."""
    token = tokens("demo")
    created = stack.glance("demo").images.create(name=unique("apache-chunked"),
                                                 disk_format="raw", container_format="bare")
    data = os.urandom(3 * MIB)
    status, body = curl("-H", f"X-Auth-Token: {token}", "-H",
                        "Content-Type: application/octet-stream", "-T", "-",
                        f"{apache.url}api/glance/images/{created.id}/data/", stdin=data)
    assert status == 204, body[:500]
    stored = wait_for_status(stack.glance("demo"), created.id)
    assert stored.size == len(data)
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()

