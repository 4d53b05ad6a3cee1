"""A plain WSGI app whose requirement cannot be installed."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from python_bad_requirement\n"]
