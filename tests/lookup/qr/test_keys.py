"""The key ring: lifecycle, rotation overlap, retirement, the published key set."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lookup.qr.keys import KeySet, KeyStore, KeyStoreError, kid_for
from lookup.qr.tokens import Claims, Verdict, sign, verify

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _claims(subject: str = "D123456") -> Claims:
    start = int(NOW.timestamp())
    return Claims("credential", subject, start, start + 86400 * 365)


def test_create_writes_private_key_0600_and_public_ring(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "qr_keys")
    info = store.create(now=NOW)
    pem = tmp_path / "qr_keys" / f"{info.kid}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    ring = json.loads((tmp_path / "qr_keys" / "keyring.json").read_text())
    assert [entry["kid"] for entry in ring["keys"]] == [info.kid]
    assert "PRIVATE" not in json.dumps(ring)
    assert info.kid == kid_for(info.public_raw)
    assert len(info.kid) == 8
    assert store.signer().kid == info.kid


def test_second_create_is_refused(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.create(now=NOW)
    with pytest.raises(KeyStoreError, match="rotate"):
        store.create(now=NOW)


def test_no_key_means_no_signer(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="qr keys create"):
        KeyStore(tmp_path).signer()


def test_rotation_overlap_then_expiry_of_the_overlap(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    old = store.create(now=NOW)
    old_token = sign(_claims(), store.signer())
    new = store.rotate(timedelta(days=30), now=NOW + timedelta(days=1))
    assert new.kid != old.kid
    assert store.signer().kid == new.kid
    assert not (tmp_path / f"{old.kid}.pem").exists()  # the old private key is gone
    new_token = sign(_claims(), store.signer())

    during = NOW + timedelta(days=10)
    assert verify(old_token, store.keyset(), during).verdict is Verdict.VALID
    assert verify(new_token, store.keyset(), during).verdict is Verdict.VALID
    published = {entry["kid"]: entry["status"] for entry in store.keyset().to_json(during)["keys"]}
    assert published == {old.kid: "verifying", new.kid: "active"}

    after = NOW + timedelta(days=32)
    result = verify(old_token, store.keyset(), after)
    assert result.verdict is Verdict.UNKNOWN_KEY
    assert result.claims is None
    assert verify(new_token, store.keyset(), after).verdict is Verdict.VALID
    assert [entry["kid"] for entry in store.keyset().to_json(after)["keys"]] == [new.kid]


def test_retire_makes_tokens_unknown_at_once(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    old = store.create(now=NOW)
    token = sign(_claims(), store.signer())
    store.rotate(timedelta(days=365), now=NOW)
    store.retire(old.kid, now=NOW + timedelta(hours=1))
    assert verify(token, store.keyset(), NOW + timedelta(hours=2)).verdict is Verdict.UNKNOWN_KEY
    with pytest.raises(KeyStoreError, match="already retired"):
        store.retire(old.kid)
    with pytest.raises(KeyStoreError, match="no QR key"):
        store.retire("00000000")


def test_retiring_the_active_key_stops_signing(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    info = store.create(now=NOW)
    store.retire(info.kid, now=NOW)
    with pytest.raises(KeyStoreError):
        store.signer()


def test_ring_changed_by_another_process_is_seen(tmp_path: Path) -> None:
    reader = KeyStore(tmp_path)
    writer = KeyStore(tmp_path)
    first = writer.create(now=NOW)
    assert reader.signer().kid == first.kid
    second = writer.rotate(timedelta(days=1), now=NOW)
    assert reader.signer().kid == second.kid


def test_published_key_set_round_trips_through_a_file(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "ring")
    store.create(now=NOW)
    token = sign(_claims(), store.signer())
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(store.keyset().to_json(NOW, issuer="https://x.example")))
    offline = KeySet.from_file(keys_file)
    assert verify(token, offline, NOW).verdict is Verdict.VALID


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda entry: entry.update(kid="ffffffff"), "does not match"),
        (lambda entry: entry.update(crv="P-256"), "Ed25519"),
        (lambda entry: entry.update(status="sleeping"), "unknown status"),
        (lambda entry: entry.pop("x"), "lacks x"),
        (lambda entry: entry.update(created_at="yesterday"), "ISO time"),
    ],
)
def test_tampered_key_entries_are_refused(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    store = KeyStore(tmp_path)
    store.create(now=NOW)
    data = store.keyset().to_json(NOW)
    mutate(data["keys"][0])
    with pytest.raises(KeyStoreError, match=message):
        KeySet.from_json(data)


def test_keys_file_that_is_not_json_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("<html>")
    with pytest.raises(KeyStoreError, match="cannot read key set"):
        KeySet.from_file(path)


def test_concurrent_rotations_leave_exactly_one_active_key(tmp_path: Path) -> None:
    import threading

    KeyStore(tmp_path).create(now=NOW)

    def rotate_many() -> None:
        store = KeyStore(tmp_path)  # its own ring reader, as another process would have
        for _ in range(5):
            store.rotate(timedelta(days=1), now=NOW)

    threads = [threading.Thread(target=rotate_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = KeyStore(tmp_path).keys()
    assert len(keys) == 16
    assert [info.status for info in keys].count("active") == 1
    assert len(list(tmp_path.glob("*.pem"))) == 1
