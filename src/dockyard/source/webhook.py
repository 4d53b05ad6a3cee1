"""GitHub push webhooks: check the signature, read which branch moved to which commit.

The caller verifies ``X-Hub-Signature-256`` over the raw body *before* parsing it (an
unsigned body is never parsed), then asks ``event.triggers(repo, branch)`` whether a
component with ``deploy_on_push`` should deploy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from dockyard.errors import DockyardError
from dockyard.untrusted import decode_utf8, loads

SIGNATURE_PREFIX = "sha256="
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
DELIVERY_RE = re.compile(r"[A-Za-z0-9-]{1,100}")  # X-GitHub-Delivery: a GUID
_BRANCH_PREFIX = "refs/heads/"


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True only for a well-formed ``sha256=<hex>`` matching HMAC-SHA256(secret, body).

    An empty secret never verifies: anyone can sign with an empty key.
    """
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    given = header[len(SIGNATURE_PREFIX):].strip()
    if not _HEX64.fullmatch(given):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())


@dataclass(frozen=True)
class PushEvent:
    """What a push changed; ``branch`` is None for a tag push."""

    repo: str
    branch: str | None
    after: str
    pusher: str | None
    head_message: str | None
    deleted: bool
    ref: str = ""

    def triggers(self, repo: str, branch: str) -> bool:
        """Whether this push should deploy a component built from ``repo`` at ``branch``.

        GitHub repository names are case-insensitive; a deleted branch has nothing to build.
        """
        return (not self.deleted and self.branch == branch
                and self.repo.lower() == repo.strip().lower())


def parse_push(event_header: str | None, body: bytes) -> PushEvent | None:
    """The push in ``body``; None for ``ping`` and other events that never deploy.

    Accepts both content types GitHub offers: ``application/json`` and the form-encoded
    ``payload=<json>``.
    """
    if not event_header:
        raise DockyardError(
            "webhook: expected an X-GitHub-Event header, found none",
            code="webhook.missing_event",
            hint="Point a GitHub repository webhook (not another service) at this URL.")
    if event_header.strip().lower() != "push":
        return None
    data = _payload(body)
    ref = _field(data, "ref", str)
    return PushEvent(
        repo=_field(_field(data, "repository", dict), "full_name", str, "repository."),
        branch=ref[len(_BRANCH_PREFIX):] if ref.startswith(_BRANCH_PREFIX) else None,
        after=_field(data, "after", str),
        pusher=_optional(data.get("pusher"), "name"),
        head_message=_optional(data.get("head_commit"), "message"),
        deleted=bool(data.get("deleted", False)),
        ref=ref,
    )


def _payload(body: bytes) -> dict[str, Any]:
    """The JSON object in the body (raw JSON or the form field ``payload``)."""
    try:
        text = decode_utf8(body, "the body")
        if text.startswith("payload="):
            text = parse_qs(text, strict_parsing=True)["payload"][0]
        data = loads(text, "the payload")
    except (ValueError, KeyError) as exc:
        raise _bad(f"expected a JSON object, found unparseable data ({exc})") from None
    except DockyardError as exc:
        raise _bad(exc.message) from None
    if not isinstance(data, dict):
        raise _bad(f"expected a JSON object, found {type(data).__name__}")
    return data


def _field(data: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        found = "nothing" if value is None else type(value).__name__
        raise _bad(f"expected {where}{key} to be a {kind.__name__}, found {found}")
    return value


def _optional(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def _bad(what: str) -> DockyardError:
    return DockyardError(f"webhook push payload: {what}", code="webhook.bad_payload",
                         hint="Set the GitHub webhook's content type to application/json "
                              "and send the push event unchanged.")
