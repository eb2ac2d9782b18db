"""Horizon's own browser client of this API, loaded unchanged in Chromium.

The page holds Horizon 27's AngularJS glance service
(``horizon.app.core.openstack-service-api.glance``), the metadata service its
wizards save through, and the http service beneath them, from the installed
``horizon`` package, with Angular and ng-file-upload from their XStatic
packages. Playwright serves those files at a path of the API server's own
origin, so that the page calls the live API as Horizon's pages do: same-origin
XHR with the session cookie, the CSRF token and X-Requested-With.
"""

import importlib.util
import mimetypes
from pathlib import Path

HARNESS = "/horizon-harness/"


def package_dir(name):
    """Where a package's files are, without importing it (horizon needs Django
    settings of its own to import)."""
    spec = importlib.util.find_spec(name)
    return Path(next(iter(spec.submodule_search_locations)))


def script_files():
    horizon = package_dir("horizon") / "static" / "framework"
    app = package_dir("openstack_dashboard") / "static" / "app" / "core"
    return [
        package_dir("xstatic.pkg.angular") / "data" / "angular.js",
        package_dir("xstatic.pkg.angular_fileupload") / "data" / "ng-file-upload-all.js",
        horizon / "conf" / "conf.js",
        horizon / "util" / "http" / "http.js",
        horizon / "widgets" / "toast" / "toast.module.js",
        horizon / "widgets" / "toast" / "toast.service.js",
        app / "openstack-service-api" / "openstack-service-api.module.js",
        app / "openstack-service-api" / "glance.service.js",
        app / "openstack-service-api" / "nova.service.js",
        app / "openstack-service-api" / "cinder.service.js",
        app / "metadata" / "metadata.service.js",
    ]


# Django's JavaScript catalog functions that Horizon's code calls, untranslated;
# then the $http settings of Horizon's framework.module.js, and the injector.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Horizon's glance client</title>
<script>
  window.WEBROOT = "/";
  window.STATIC_URL = "/static/";
  window.gettext = function (text) { return text; };
  window.interpolate = function (fmt, obj, named) {
    return named ? fmt.replace(/%\\(\\w+\\)s/g,
                               function (m) { return String(obj[m.slice(2, -2)]); })
                 : fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };
</script>
{scripts}
<script>
  // metadata.service.js belongs to a module whose other parts (modals) are not loaded.
  angular.module("horizon.app.core.metadata", []);
</script>
<script src="{harness}app/core/metadata/metadata.service.js"></script>
<script>
  angular.module("harness", ["horizon.app.core.openstack-service-api",
                             "horizon.app.core.metadata",
                             "horizon.framework.util.http",
                             "horizon.framework.widgets.toast",
                             "horizon.framework.conf"])
    .config(["$httpProvider", function ($httpProvider) {
      $httpProvider.defaults.xsrfHeaderName = "X-CSRFToken";
      $httpProvider.defaults.xsrfCookieName = "csrftoken";
      $httpProvider.defaults.headers.common["X-Requested-With"] = "XMLHttpRequest";
      $httpProvider.defaults.headers.common["Content-Type"] = "application/json;charset=utf-8";
      // Horizon's stripAjaxHeaderForCORS: a direct upload to Glance carries
      // X-Auth-Token and neither of the API's own headers.
      $httpProvider.interceptors.push(function () {
        return {request: function (config) {
          if ("X-Auth-Token" in config.headers) {
            delete config.headers["X-Requested-With"];
            delete config.headers["X-CSRFToken"];
          }
          return config;
        }};
      });
    }]);
  window.injector = angular.bootstrap(document, ["harness"]);
  window.glance = injector.get("horizon.app.core.openstack-service-api.glance");
  window.metadata = injector.get("horizon.app.core.metadata.service");
  window.toasts = injector.get("horizon.framework.widgets.toast.service");
</script>
</head><body></body></html>
"""


def routes():
    """URL path under HARNESS -> file; plus the page itself."""
    files = {}
    for path in script_files():
        if "metadata" in path.parts:
            files["app/core/metadata/metadata.service.js"] = path
        else:
            files[f"{path.parent.name}/{path.name}"] = path
    return files


def page_html(files):
    scripts = "\n".join(f'<script src="{HARNESS}{name}"></script>' for name in files
                        if not name.startswith("app/core/metadata/"))
    return PAGE.replace("{scripts}", scripts).replace("{harness}", HARNESS)


def open_page(context, api_url):
    """Route the harness under the API's origin and open it; returns the page."""
    files = routes()
    html = page_html(files)

    def serve(route):
        name = route.request.url.split(HARNESS, 1)[1].split("?", 1)[0]
        if name in ("", "index.html"):
            return route.fulfill(status=200, content_type="text/html", body=html)
        path = files.get(name)
        if path is None:
            return route.fulfill(status=404, body="not in the harness")
        return route.fulfill(status=200, body=path.read_bytes(),
                             content_type=mimetypes.guess_type(path.name)[0]
                             or "application/javascript")

    context.route(f"{api_url}{HARNESS}**", serve)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{api_url}{HARNESS}index.html")
    page.wait_for_function("window.glance !== undefined", timeout=15000)
    assert not errors, errors
    return page


LOGIN_JS = """async ([username, password, project]) => {
  await fetch("/api/auth/session/", {headers: {"X-Requested-With": "XMLHttpRequest"}});
  const csrf = document.cookie.split("; ").find(c => c.startsWith("csrftoken=")).split("=")[1];
  const answer = await fetch("/api/auth/login/", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf,
              "X-Requested-With": "XMLHttpRequest"},
    body: JSON.stringify({username, password, project}),
  });
  return answer.status;
}"""


def log_in(page, stack, user="demo"):
    status = page.evaluate(LOGIN_JS, [user, stack.passwords[user], user])
    assert status == 200, status
