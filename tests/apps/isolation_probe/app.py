"""An app that probes its sandbox (probe.sh) and serves "ok"."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
