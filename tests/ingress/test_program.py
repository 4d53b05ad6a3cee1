"""The ingress program's ACME client: made on the first certificate asked for (not at start,
so a wrong directory never stops the program), once for every worker thread, with the
settings' directory and contact, and the external account binding's HMAC key decrypted from
its file (it is never stored in the clear)."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from dockyard.ingress.program import eab_path, issuer_for
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox
from dockyard.settings import Settings


def settings(**changes: object) -> Settings:
    return Settings(public=True, domain="apps.example.com", email="ops@example.com",
                    acme_directory="https://127.0.0.1:14000/dir",
                    acme_ca_bundle="/etc/ssl/pebble.pem", **changes)  # type: ignore[arg-type]


def test_nothing_is_made_until_a_certificate_is_asked_for(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    home.ingress.mkdir(parents=True)
    get = issuer_for(home, settings())
    assert not (home.ingress / "account-key.pem").exists()
    client = get()
    assert (client.config.directory, client.config.email, client.config.ca_bundle) == (
        "https://127.0.0.1:14000/dir", "ops@example.com", "/etc/ssl/pebble.pem")
    assert client.config.eab_kid == "" and client.config.eab_hmac_key == ""
    key = home.ingress / "account-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_every_worker_gets_the_same_client(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    home.ingress.mkdir(parents=True)
    get = issuer_for(home, settings())
    got: list[object] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        got.append(get())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 4 and len({id(c) for c in got}) == 1


def test_the_eab_hmac_key_is_decrypted_from_its_file(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    home.ingress.mkdir(parents=True)
    eab_path(home).write_text(SecretBox(home.secrets_key).encrypt("aG1hYy1rZXk") + "\n")
    assert "aG1hYy1rZXk" not in eab_path(home).read_text()
    client = issuer_for(home, settings(acme_eab_kid="kid-1"))()
    assert (client.config.eab_kid, client.config.eab_hmac_key) == ("kid-1", "aG1hYy1rZXk")
