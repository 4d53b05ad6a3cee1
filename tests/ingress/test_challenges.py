"""Answers to ACME challenges: HTTP-01 published in HAProxy's challenge map for as long as
the order runs, DNS-01 through the user's hook (a real script here), whose failures name the
hook, the step and what it printed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from acme import challenges, messages

from dockyard.errors import DockyardError
from dockyard.ingress.acme import account_key
from dockyard.ingress.challenges import DnsSolver, HttpSolver


def challb(chall: challenges.Challenge) -> messages.ChallengeBody:
    return messages.ChallengeBody(chall=chall, uri="https://ca.test/c/1",
                                  status=messages.STATUS_PENDING)


class FakeCertificates:
    """HAProxy's challenge map, as ``router.certs.Certificates`` keeps it (in memory)."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def add_challenge(self, token: str, key_authorization: str) -> None:
        self.answers[token] = key_authorization

    def remove_challenge(self, token: str) -> None:
        self.answers.pop(token)


def test_an_http01_answer_is_served_only_while_the_order_runs(tmp_path: Path):
    key = account_key(tmp_path / "account.pem")
    chall = challenges.HTTP01(token=b"\x01" * 32)
    certs = FakeCertificates()
    with HttpSolver(certs).publish("shop.example", challb(chall), key) as response:
        token = chall.encode("token")
        assert certs.answers == {token: chall.validation(key)}
        assert certs.answers[token].startswith(token + ".")        # token.thumbprint
        assert response.verify(chall, key.public_key())
    assert certs.answers == {}


def test_the_http01_answer_is_taken_down_when_the_order_fails(tmp_path: Path):
    certs = FakeCertificates()
    with pytest.raises(RuntimeError):
        with HttpSolver(certs).publish("x", challb(challenges.HTTP01(token=b"\x02" * 32)),
                                       account_key(tmp_path / "a.pem")):
            raise RuntimeError("the CA said no")
    assert certs.answers == {}


def hook(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "dns-hook"
    path.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'calls'}\n{body}\n")
    path.chmod(stat.S_IRWXU)
    return path


def test_dns01_presents_then_cleans_up_the_txt_record(tmp_path: Path):
    key = account_key(tmp_path / "account.pem")
    chall = challenges.DNS01(token=b"\x03" * 32)
    solver = DnsSolver(str(hook(tmp_path, "exit 0")))
    with solver.publish("*.shop.example", challb(chall), key):
        calls = (tmp_path / "calls").read_text().splitlines()
        assert calls == [f"present _acme-challenge.shop.example {chall.validation(key)}"]
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[1] == f"cleanup _acme-challenge.shop.example {chall.validation(key)}"


def test_a_failing_hook_is_named_with_its_step_exit_and_last_lines(tmp_path: Path):
    script = hook(tmp_path, 'echo "zone not found" >&2; echo "line 2" >&2; exit 7')
    with pytest.raises(DockyardError) as err:
        with DnsSolver(str(script)).publish("shop.example",
                                            challb(challenges.DNS01(token=b"\x04" * 32)),
                                            account_key(tmp_path / "a.pem")):
            pytest.fail("the order must not start without its TXT record")
    assert err.value.message == (f"the DNS-01 hook {script} failed (present "
                                 "_acme-challenge.shop.example, exit 7): zone not found / line 2")
    assert err.value.code == "ingress.dns_hook" and "HOOK present" in (err.value.hint or "")


def test_a_hook_that_cannot_run_says_so(tmp_path: Path):
    missing = tmp_path / "no-such-hook"
    with pytest.raises(DockyardError, match=f"the DNS-01 hook {missing} could not run"):
        with DnsSolver(str(missing)).publish("x.example",
                                             challb(challenges.DNS01(token=b"\x05" * 32)),
                                             account_key(tmp_path / "a.pem")):
            pass


def test_a_failing_cleanup_does_not_fail_the_order(tmp_path: Path):
    script = hook(tmp_path, '[ "$1" = cleanup ] && exit 1; exit 0')
    with DnsSolver(str(script)).publish("x.example", challb(challenges.DNS01(token=b"\x06" * 32)),
                                        account_key(tmp_path / "a.pem")):
        pass
    assert [c.split()[0] for c in (tmp_path / "calls").read_text().splitlines()] == [
        "present", "cleanup"]
