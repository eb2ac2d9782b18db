"""backend.py: the pooled connection to Glance through glanceclient."""

import pytest

from glance_rest.errors import from_client_error


class _ClosesReusedConnections:
    """An HTTP server that answers the first request on each connection and
    closes the connection when a second one arrives on it, as a server whose
    keep-alive timeout ends just as the client reuses the connection."""

    def __init__(self, delete_status=200):
        import socket
        import threading

        # What a DELETE is answered (404: it was done by the one before).
        self.delete_status = delete_status
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.answered = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            body = b'{"ok": true}'
            status = b"200 OK"
            if data.startswith(b"DELETE ") and self.delete_status == 404:
                status, body = b"404 Not Found", b'{"message": "No image found"}'
            self.answered += 1  # before the answer: the client checks it after
            conn.sendall(b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (status, len(body), body))
            conn.recv(65536)  # the next request on this connection: closed unanswered

    def close(self):
        self.listener.close()


def test_a_read_or_delete_is_sent_again_when_glance_drops_a_reused_connection():
    from glanceclient import exc as g

    from glance_rest.glance import Glance

    server = _ClosesReusedConnections()
    try:
        glance = Glance.at(f"http://127.0.0.1:{server.port}", "token")
        for _ in range(3):
            assert glance.get("/v2/images") == {"ok": True}
        assert server.answered == 3
        # DELETE is idempotent and has no body: sent again too.
        for _ in range(2):
            glance.client.http_client.delete("/v2/images/x")
        assert server.answered == 5
        # A change with a body is never sent twice: the dropped connection is an error.
        with pytest.raises(g.CommunicationError) as raised:
            glance.patch("/v2/images/x", "[]", "application/json")
        assert from_client_error(raised.value).status == 503
    finally:
        server.close()


def test_a_delete_resent_after_a_dropped_connection_that_finds_nothing_is_done():
    """The first attempt reached Glance (which deleted) and lost its answer
    with the connection: the resend's 404 is that first attempt's 204. A
    DELETE that was not resent keeps its 404."""
    from glance_rest.errors import GlanceError
    from glance_rest.glance import Glance

    server = _ClosesReusedConnections(delete_status=404)
    try:
        glance = Glance.at(f"http://127.0.0.1:{server.port}", "token")
        assert glance.get("/v2/images") == {"ok": True}
        # Sent on the kept-alive connection, which the server closes after
        # reading it; sent again on a new one, answered 404.
        glance.delete("/v2/images/x")
        assert server.answered == 2
        # A new connection's first request: its 404 stands.
        with pytest.raises(GlanceError) as raised:
            glance.delete("/v2/images/y")
        assert raised.value.status == 404
    finally:
        server.close()


def test_the_tally_is_exact_when_worker_threads_count():
    """Many threads call the response hooks at once, as run_in_context's
    workers do for one request; no call may be lost. (On CPython 3.11 a bare
    ``+=`` rarely loses one, as the interpreter switches threads only at
    calls and jumps: the lock makes it exact on every interpreter, free-threaded
    ones included.)"""
    import concurrent.futures
    import sys

    import requests

    from glance_rest import backend

    answer = requests.Response()
    answer.status_code = 200
    answer.headers["x-openstack-request-id"] = "req-glance"
    threads, each = 16, 2000

    def calls(_):
        for _ in range(each):
            backend._on_glance_response(answer)
            backend._count_keystone(answer)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        with backend.counting() as tally, concurrent.futures.ThreadPoolExecutor(threads) as pool:
            backend.run_in_context(pool, calls, range(threads))
    finally:
        sys.setswitchinterval(switch)
    assert (tally.glance, tally.keystone) == (threads * each, threads * each)
    assert tally.glance_request_id == "req-glance"


class _SetsCookies:
    """A loopback HTTP/1.1 server (a load balancer in front of Glance or
    Keystone) that sets a sticky-session cookie on every answer and records
    the Cookie header and the client port of each request."""

    def __init__(self):
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the pool's reuse shows

            def do_GET(self):
                seen.append((self.headers.get("Cookie"), self.client_address[1]))
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Set-Cookie", f"lb=node-{len(seen)}; Path=/")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_no_cookie_goes_from_one_users_glance_call_to_anothers():
    from glance_rest import backend
    from glance_rest.glance import Glance

    server = _SetsCookies()
    try:
        for token in ("first-users-token", "second-users-token", "first-users-token"):
            assert Glance.at(server.url, token).get("/v2/images") == {"ok": True}
        cookies = [cookie for cookie, _port in server.seen]
        assert cookies == [None, None, None]
        assert not backend.glance_http.cookies
        # The connection is still pooled: every call came on one.
        assert len({port for _cookie, port in server.seen}) == 1
    finally:
        server.close()


def test_no_cookie_goes_from_one_keystone_call_to_the_next():
    from glance_rest import auth, backend

    server = _SetsCookies()
    try:
        for token in ("first-users-token", "second-users-token"):
            answer = auth.keystone_session().get(server.url + "/v3/auth/tokens",
                                                 headers={"X-Auth-Token": token})
            assert answer.json() == {"ok": True}
        assert [cookie for cookie, _port in server.seen] == [None, None]
        assert not backend.keystone_http.cookies
        assert len({port for _cookie, port in server.seen}) == 1
    finally:
        server.close()
