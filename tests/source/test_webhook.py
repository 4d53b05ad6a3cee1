"""GitHub push webhooks: signatures, which branch moved, events that never deploy."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from dockyard.errors import DockyardError
from dockyard.source.webhook import PushEvent, parse_push, verify_signature

SECRET = "s3cret-hook"
AFTER = "b" * 40


def push_body(ref: str = "refs/heads/main", **extra: object) -> bytes:
    """A trimmed push payload with the fields GitHub sends and we read."""
    payload = {"ref": ref, "before": "a" * 40, "after": AFTER, "deleted": False,
               "repository": {"full_name": "Sammy/ProfileApp", "name": "ProfileApp"},
               "pusher": {"name": "sammy", "email": "sammy@example.test"},
               "head_commit": {"id": AFTER, "message": "Fix settings\n\nlonger text"},
               **extra}
    return json.dumps(payload).encode()


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_valid_signature_verifies() -> None:
    body = push_body()
    assert verify_signature(SECRET, body, sign(body))
    assert verify_signature(SECRET, body, sign(body).upper().replace("SHA256=", "sha256="))


@pytest.mark.parametrize("header", [
    None, "", "sha256=", "sha1=" + "0" * 40, "sha256=" + "z" * 64, "sha256=" + "0" * 63,
    "sha256=" + "0" * 64,
])
def test_missing_or_malformed_signature_is_refused(header: str | None) -> None:
    assert not verify_signature(SECRET, push_body(), header)


def test_signature_with_another_secret_or_changed_body_is_refused() -> None:
    body = push_body()
    assert not verify_signature(SECRET, body, sign(body, "other"))
    assert not verify_signature(SECRET, body + b" ", sign(body))


def test_empty_secret_never_verifies() -> None:
    body = push_body()
    assert not verify_signature("", body, sign(body, ""))


def test_branch_push_is_parsed() -> None:
    event = parse_push("push", push_body())
    assert event == PushEvent(repo="Sammy/ProfileApp", branch="main", after=AFTER,
                              pusher="sammy", head_message="Fix settings\n\nlonger text",
                              deleted=False, ref="refs/heads/main")
    assert event.triggers("sammy/profileapp", "main")


def test_push_to_another_branch_does_not_trigger() -> None:
    event = parse_push("push", push_body("refs/heads/feature/login"))
    assert event is not None and event.branch == "feature/login"
    assert not event.triggers("Sammy/ProfileApp", "main")
    assert not event.triggers("Sammy/Other", "feature/login")


def test_tag_push_has_no_branch_and_never_triggers() -> None:
    event = parse_push("push", push_body("refs/tags/v1.0"))
    assert event is not None and event.branch is None and event.ref == "refs/tags/v1.0"
    assert not event.triggers("Sammy/ProfileApp", "main")


def test_branch_deletion_never_triggers() -> None:
    body = push_body(deleted=True, after="0" * 40, head_commit=None)
    event = parse_push("push", body)
    assert event is not None and event.deleted and event.head_message is None
    assert not event.triggers("Sammy/ProfileApp", "main")


def test_form_encoded_payload_is_accepted() -> None:
    body = urlencode({"payload": push_body().decode()}).encode()
    event = parse_push("push", body)
    assert event is not None and event.branch == "main"


@pytest.mark.parametrize("name", ["ping", "pull_request", "PING"])
def test_ping_and_other_events_are_ignored(name: str) -> None:
    assert parse_push(name, json.dumps({"zen": "Keep it logically awesome."}).encode()) is None


def test_missing_event_header_is_an_error() -> None:
    with pytest.raises(DockyardError) as info:
        parse_push(None, push_body())
    assert info.value.code == "webhook.missing_event"


@pytest.mark.parametrize(("body", "found"), [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "UTF-16"),
    (b'{"a": "\xff"}', "not UTF-8"),
    (b"[" * 100_000, "nested more than 100 levels"),
    (b'{"ref": "\\ud800"}', "unpaired UTF-16 surrogate"),
    (b"[1, 2]", "found list"),
    (b"payload=", "unparseable"),
    (json.dumps({"ref": "refs/heads/main", "after": AFTER}).encode(),
     "repository to be a dict, found nothing"),
    (push_body(repository={"name": "x"}), "repository.full_name to be a str"),
    (push_body(ref=None), "ref to be a str"),
])
def test_malformed_body_is_a_bad_payload_error(body: bytes, found: str) -> None:
    with pytest.raises(DockyardError) as info:
        parse_push("push", body)
    assert info.value.code == "webhook.bad_payload"
    assert found in str(info.value)
    assert "application/json" in str(info.value)  # the hint says how to fix it
