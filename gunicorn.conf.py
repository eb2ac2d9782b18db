"""gunicorn's settings for this checkout's API server (make run, make serve,
the tests' stack.testing.ApiServer): gunicorn reads ./gunicorn.conf.py from
the folder it starts in, and its command line wins over it.

The access log leaves out the query string and the Referer, as the API's own
request log does (glance_rest/middleware.py): filters name things (image
names, tags, projects), and a page's address can hold them too.
"""

# %(U)s is the path without its query; not %(r)s (the request line, query
# included) nor %(f)s (the Referer), which gunicorn's default logs. The
# answer's X-Request-Id ties each line to the API's own log line.
access_log_format = ('%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s" '
                     '%({x-request-id}o)s')
