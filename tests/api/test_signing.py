"""The exec console's tokens: signed, expiring, and bound to their claims."""

from __future__ import annotations

from dockyard.api.signing import sign_token, verify_token

KEY = b"k" * 32


def test_a_token_carries_its_claims_until_it_expires() -> None:
    token = sign_token(KEY, {"app": "a1", "component": "web"}, ttl=60)
    claims = verify_token(KEY, token)
    assert claims is not None and claims["app"] == "a1" and claims["component"] == "web"
    assert verify_token(KEY, sign_token(KEY, {"app": "a1"}, ttl=-1)) is None
    for n in range(1, 6):  # every length of base64 padding
        assert verify_token(KEY, sign_token(KEY, {"app": "a" * n}, ttl=60)) is not None


def test_an_edited_or_foreign_token_is_refused() -> None:
    token = sign_token(KEY, {"app": "a1"}, ttl=60)
    payload, _, sig = token.partition(".")
    other = sign_token(KEY, {"app": "a2"}, ttl=60).partition(".")[0]
    assert verify_token(KEY, f"{other}.{sig}") is None
    assert verify_token(b"x" * 32, token) is None
    assert verify_token(KEY, payload) is None and verify_token(KEY, "") is None


def test_two_tokens_for_the_same_claims_differ() -> None:
    assert sign_token(KEY, {"app": "a1"}, 60) != sign_token(KEY, {"app": "a1"}, 60)
