"""REST API compatible with DigitalOcean's ``/v2/apps``.

Every success is ``200`` with a JSON object; errors are ``{"id", "message", "request_id"}``.
"""
