"""A tiny WSGI app for the jobs, metrics and console tests: ``/`` answers 200, ``/fail`` 503."""


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    status = "503 Service Unavailable" if path == "/fail" else "200 OK"
    body = b"x" * 100
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
