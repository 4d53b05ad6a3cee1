"""A plain WSGI app started from its Procfile."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from python_procfile\n"]
