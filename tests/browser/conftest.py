"""The browser tier: one headless Chromium per run (Debian's package, driven
by Playwright), shared by the panel, Horizon's JavaScript and Horizon's own
Images panel."""

import pytest

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, as root, on a machine whose only network is loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync",
                 # The Horizon harness page is fulfilled by Playwright, not fetched
                 # from the loopback server whose origin it has, so Chromium would
                 # take it for a public page reaching into loopback (Glance).
                 "--disable-features=LocalNetworkAccessChecks,"
                 "BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessRespectPreflightResults"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
