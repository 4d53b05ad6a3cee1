"""The ACME client's own logic, without a CA: the account key (made once, 0600, read back),
HAProxy's combined file, a certificate's validity, which challenge is picked and the error
when the CA offers none, and the CA's reason in a failure message."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from acme import challenges, errors, messages

from dockyard.errors import DockyardError
from dockyard.ingress.acme import ORDER_SECONDS, Issued, account_key, pick, reason, validity
from tests.ingress.conftest import certificate


def test_the_account_key_is_made_once_private_and_reused(tmp_path: Path):
    path = tmp_path / "ingress" / "account-key.pem"
    path.parent.mkdir()
    first = account_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    again = account_key(path)
    assert again.thumbprint() == first.thumbprint()              # the same ACME account
    other = account_key(tmp_path / "other.pem")
    assert other.thumbprint() != first.thumbprint()


def test_haproxy_gets_the_chain_then_the_key_in_one_file():
    now = dt.datetime.now(dt.UTC)
    combined = Issued(b"CHAIN\n\n", b"KEY\n", now, now).combined
    assert combined == b"CHAIN\nKEY\n"


def test_validity_is_read_from_the_leaf_not_the_rest_of_the_chain():
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    leaf, _ = certificate(["shop.example"], start, start + dt.timedelta(days=90))
    root, _ = certificate(["Some Root"], start - dt.timedelta(days=900),
                          start + dt.timedelta(days=3000))
    assert validity(leaf + root) == (start, start + dt.timedelta(days=90))


def authz(*kinds: str, domain: str = "shop.example") -> messages.AuthorizationResource:
    chall = {"http-01": challenges.HTTP01(token=b"t" * 32),
             "dns-01": challenges.DNS01(token=b"d" * 32),     # the library has no TLS-ALPN-01:
             "tls-alpn-01": challenges.Challenge.from_json(   # an unrecognized challenge
                 {"type": "tls-alpn-01", "token": "YWFhYWFh"})}
    body = messages.Authorization(
        identifier=messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=domain),
        challenges=[messages.ChallengeBody(chall=chall[k], uri=f"https://ca.test/{k}",
                                           status=messages.STATUS_PENDING) for k in kinds],
        status=messages.STATUS_PENDING)
    return messages.AuthorizationResource(body=body, uri="https://ca.test/authz/1")


def test_the_challenge_of_the_solvers_kind_is_picked():
    both = authz("tls-alpn-01", "dns-01", "http-01")
    assert pick(both, "http-01").chall.typ == "http-01"
    assert pick(both, "dns-01").chall.typ == "dns-01"


def test_a_ca_offering_no_such_challenge_is_a_clear_error():
    with pytest.raises(DockyardError) as err:
        pick(authz("tls-alpn-01", "http-01", domain="x.example"), "dns-01")
    assert err.value.message == ("the ACME CA offers no dns-01 challenge for x.example "
                                 "(offered: tls-alpn-01, http-01)")
    assert err.value.code == "ingress.no_challenge"


def test_the_cas_reason_is_its_own_words():
    problem = messages.Error(typ="urn:ietf:params:acme:error:rateLimited",
                             detail="too many certificates already issued")
    assert reason(problem) == "too many certificates already issued"
    assert reason(errors.TimeoutError()) == f"no answer within {ORDER_SECONDS} s"
    assert reason(OSError("connection refused")) == "connection refused"
    assert reason(errors.Error()) == "Error"                    # no text at all: its type


def test_a_failed_validation_gives_each_challenges_detail():
    failed = authz("http-01")
    bad = failed.body.challenges[0].update(error=messages.Error(
        typ="urn:ietf:params:acme:error:dns", detail="DNS problem: NXDOMAIN looking up A"))
    failed = failed.update(body=failed.body.update(challenges=(bad,)))
    assert reason(errors.ValidationError([failed])) == "DNS problem: NXDOMAIN looking up A"
    assert reason(errors.ValidationError([authz("http-01")])) == "validation failed"
