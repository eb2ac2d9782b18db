"""The API reaches Keystone and Glance through the proxy its environment
names (HTTP_PROXY, NO_PROXY), as Horizon's own clients do: a counting proxy
on loopback, and API servers started with the proxy variables in their
environment only (the test run's own calls and the stack never see them)."""

import http.server

import pytest
import requests

from stack.testing import ApiServer
from tests.helpers import IMAGES, LoopbackServer

pytestmark = [pytest.mark.stack, pytest.mark.slow]


class ForwardProxy(LoopbackServer):
    """A plain HTTP forward proxy: records the absolute URL of each request it
    is asked for, and forwards it."""

    def __init__(self):
        self.seen = []
        seen = self.seen
        upstream = requests.Session()
        upstream.trust_env = False

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                seen.append(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "proxy-connection")}
                got = upstream.request(self.command, self.path, headers=headers,
                                       data=body or None, allow_redirects=False, timeout=60)
                self.send_response(got.status_code)
                for name, value in got.headers.items():
                    if name.lower() not in ("connection", "transfer-encoding", "content-encoding",
                                            "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(got.content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(got.content)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

            def log_message(self, *args):
                pass

        super().__init__(Handler)


def proxy_env(proxy, no_proxy):
    return {name: value for names, value in ((("HTTP_PROXY", "http_proxy"), proxy.base_url),
                                             (("NO_PROXY", "no_proxy"), no_proxy))
            for name in names}


def list_images(server, tokens):
    answer = requests.get(server.url + IMAGES, headers={"X-Auth-Token": tokens("demo")},
                          timeout=60)
    assert answer.status_code == 200, answer.text
    return answer


@pytest.mark.parametrize("no_proxy, through_proxy", [("", True), ("127.0.0.1", False)],
                         ids=["proxied", "no-proxy"])
def test_the_services_are_reached_as_the_environment_says(stack, tokens, tmp_path, no_proxy,
                                                          through_proxy):
    with ForwardProxy() as proxy:
        server = ApiServer(stack, tmp_path, workers=1,
                           extra_env=proxy_env(proxy, no_proxy)).start()
        try:
            list_images(server, tokens)
        finally:
            server.stop()
    keystone = [url for url in proxy.seen if url.startswith(stack.keystone_url + "/auth/tokens")]
    glance = [url for url in proxy.seen if url.startswith(stack.glance_url + "/v2/images")]
    if through_proxy:
        assert keystone and glance, proxy.seen
    else:
        assert proxy.seen == []
