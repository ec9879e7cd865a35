"""Ed25519 signing keys for QR tokens: the key ring on disk, its lifecycle and the public key set.

A key is `active` (it signs new tokens; exactly one at a time), `verifying` (it no longer signs,
but tokens it signed still verify until `verify_until`: the rotation overlap) or `retired`
(unknown to verifiers: its tokens read as "unknown key"). Only the active key's private half is
kept on disk; rotating deletes the old private key, because a key that no longer signs has no
reason to be stealable.

Layout of the key directory (kept out of the repository: `<data_dir>/qr_keys/` by default):
- `keyring.json`: public metadata of every key (no secrets), written atomically;
- `<kid>.pem`: the active key's PKCS#8 private key, mode 0600.
- `.lock`: held while the ring changes (create, rotate, retire).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KeyStatus = Literal["active", "verifying", "retired"]
KID_BYTES = 4  # carried in every token; collisions are refused when a key is created
KEYRING_FILE = "keyring.json"
LOCK_FILE = ".lock"
KEYSET_FORMAT = "dipcheck-qr-keys/1"


class KeyStoreError(Exception):
    """The key ring is missing, unreadable or the requested change is not allowed."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(raw: object, field_name: str) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise KeyStoreError(f"{field_name}: expected an ISO time")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise KeyStoreError(f"{field_name}: not an ISO time") from exc
    if parsed.tzinfo is None:
        raise KeyStoreError(f"{field_name}: time zone missing")
    return parsed.astimezone(UTC)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kid_for(public_raw: bytes) -> str:
    """The key id: the first bytes of the public key's SHA-256, as hex."""
    return hashlib.sha256(public_raw).digest()[:KID_BYTES].hex()


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Public facts about one key."""

    kid: str
    public_raw: bytes  # 32-byte raw Ed25519 public key
    created_at: datetime
    status: KeyStatus
    verify_until: datetime | None = None  # end of the overlap for a `verifying` key
    retired_at: datetime | None = None

    def status_at(self, now: datetime) -> KeyStatus:
        """The status in force at `now`: a verifying key whose overlap ended counts as retired."""
        overlap_ended = self.verify_until is not None and now >= self.verify_until
        if self.status == "verifying" and overlap_ended:
            return "retired"
        return self.status

    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_raw)

    def to_json(self) -> dict[str, Any]:
        """A JWK (RFC 8037 OKP) plus the lifecycle fields."""
        return {
            "kid": self.kid,
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "x": _b64url(self.public_raw),
            "status": self.status,
            "created_at": _iso(self.created_at),
            "verify_until": _iso(self.verify_until),
            "retired_at": _iso(self.retired_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyInfo:
        try:
            kid = data["kid"]
            x = data["x"]
            status = data["status"]
        except KeyError as exc:
            raise KeyStoreError(f"key entry lacks {exc.args[0]}") from exc
        if data.get("kty") != "OKP" or data.get("crv") != "Ed25519":
            raise KeyStoreError(f"key {kid!s}: only Ed25519 (OKP) keys are supported")
        if status not in ("active", "verifying", "retired"):
            raise KeyStoreError(f"key {kid!s}: unknown status {status!r}")
        try:
            public_raw = _unb64url(str(x))
        except ValueError as exc:
            raise KeyStoreError(f"key {kid!s}: x is not base64url") from exc
        if len(public_raw) != 32 or kid_for(public_raw) != kid:
            raise KeyStoreError(f"key {kid!s}: kid does not match its public key")
        created = _parse_time(data.get("created_at"), "created_at")
        if created is None:
            raise KeyStoreError(f"key {kid}: created_at missing")
        return cls(
            kid=kid,
            public_raw=public_raw,
            created_at=created,
            status=status,
            verify_until=_parse_time(data.get("verify_until"), "verify_until"),
            retired_at=_parse_time(data.get("retired_at"), "retired_at"),
        )


@dataclass(frozen=True, slots=True)
class KeySet:
    """The public keys a verifier trusts; built from the key ring or from a published keys file."""

    keys: tuple[KeyInfo, ...]
    # The public URL the set was published for (a keys file's "issuer"): where genuine codes
    # point, so an offline verifier can tell a look-alike address.
    issuer: str | None = None

    def verifying_key(self, kid: str, now: datetime) -> Ed25519PublicKey | None:
        """The public key for `kid` if it may verify at `now` (active or within its overlap)."""
        for info in self.keys:
            if info.kid == kid and info.status_at(now) != "retired":
                return info.public_key()
        return None

    def published(self, now: datetime) -> list[KeyInfo]:
        """Keys to publish: those that still verify at `now`."""
        return [info for info in self.keys if info.status_at(now) != "retired"]

    def to_json(self, now: datetime, issuer: str | None = None) -> dict[str, Any]:
        return {
            "format": KEYSET_FORMAT,
            "issuer": issuer,
            "generated_at": _iso(now),
            "keys": [info.to_json() for info in self.published(now)],
        }

    @classmethod
    def from_json(cls, data: object) -> KeySet:
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise KeyStoreError("not a DipCheck key set: a 'keys' list is required")
        issuer = data.get("issuer")
        return cls(
            tuple(KeyInfo.from_json(entry) for entry in data["keys"]),
            issuer=issuer if isinstance(issuer, str) and issuer else None,
        )

    @classmethod
    def from_file(cls, path: Path) -> KeySet:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"{path}: cannot read key set ({exc.__class__.__name__})") from exc
        return cls.from_json(data)


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


class KeyStore:
    """The key ring in one directory. Reads are cached until `keyring.json` changes on disk, so a
    rotation made by the CLI in another process takes effect without a restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache_stamp: tuple[int, int] | None = None
        self._cache: tuple[KeyInfo, ...] = ()
        self._signer_cache: tuple[str, SigningKey] | None = None

    @property
    def _ring_path(self) -> Path:
        return self.directory / KEYRING_FILE

    def _private_path(self, kid: str) -> Path:
        return self.directory / f"{kid}.pem"

    # -- reading -------------------------------------------------------------------------------

    def keys(self) -> tuple[KeyInfo, ...]:
        """Every key on the ring, oldest first; empty when no ring exists yet."""
        try:
            stat = self._ring_path.stat()
        except FileNotFoundError:
            return ()
        except OSError as exc:
            raise KeyStoreError(f"cannot read the QR key ring: {exc.strerror}") from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._cache_stamp:
            try:
                data = json.loads(self._ring_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise KeyStoreError("the QR key ring is unreadable") from exc
            self._cache = KeySet.from_json(data).keys
            self._cache_stamp = stamp
        return self._cache

    def keyset(self) -> KeySet:
        return KeySet(self.keys())

    def signer(self) -> SigningKey:
        """The active key with its private half. Raises KeyStoreError when there is none."""
        active = [info for info in self.keys() if info.status == "active"]
        if not active:
            raise KeyStoreError("no active QR signing key: run `dipcheck qr keys create`")
        kid = active[-1].kid
        if self._signer_cache is not None and self._signer_cache[0] == kid:
            return self._signer_cache[1]
        try:
            pem = self._private_path(kid).read_bytes()
        except OSError as exc:
            raise KeyStoreError(f"the private key of active QR key {kid} is missing") from exc
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyStoreError(f"QR key {kid} is not an Ed25519 key")
        if kid_for(private.public_key().public_bytes_raw()) != kid:
            raise KeyStoreError(f"the private key file of QR key {kid} holds another key")
        signing = SigningKey(kid, private)
        self._signer_cache = (kid, signing)
        return signing

    # -- lifecycle -----------------------------------------------------------------------------

    @contextmanager
    def _changing(self) -> Iterator[list[KeyInfo]]:
        """The ring, freshly read, under an exclusive lock: two operators rotating at once must
        not both install an active key."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.directory / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._cache_stamp = None
            yield list(self.keys())

    def create(self, now: datetime | None = None) -> KeyInfo:
        """Create the first active key. Refused when an active key exists (use rotate)."""
        with self._changing() as ring:
            if any(info.status == "active" for info in ring):
                raise KeyStoreError(
                    "an active QR key exists already: use `dipcheck qr keys rotate`"
                )
            return self._add_active(ring, now or datetime.now(UTC))

    def rotate(self, overlap: timedelta, now: datetime | None = None) -> KeyInfo:
        """Make a new active key; the old one verifies for `overlap` more, then counts retired."""
        moment = now or datetime.now(UTC)
        with self._changing() as ring:
            old_kids = []
            for index, info in enumerate(ring):
                if info.status == "active":
                    ring[index] = replace(info, status="verifying", verify_until=moment + overlap)
                    old_kids.append(info.kid)
            new = self._add_active(ring, moment)
            for kid in old_kids:
                self._private_path(kid).unlink(missing_ok=True)
            return new

    def retire(self, kid: str, now: datetime | None = None) -> KeyInfo:
        """Retire a key at once (e.g. after a compromise): its tokens read as "unknown key"."""
        with self._changing() as ring:
            for index, info in enumerate(ring):
                if info.kid == kid:
                    if info.status == "retired":
                        raise KeyStoreError(f"QR key {kid} is already retired")
                    moment = now or datetime.now(UTC)
                    retired = replace(info, status="retired", retired_at=moment)
                    ring[index] = retired
                    self._write_ring(ring)
                    self._private_path(kid).unlink(missing_ok=True)
                    return retired
        raise KeyStoreError(f"no QR key with id {kid}")

    def _add_active(self, ring: list[KeyInfo], now: datetime) -> KeyInfo:
        taken = {info.kid for info in ring}
        while True:
            private = Ed25519PrivateKey.generate()
            public_raw = private.public_key().public_bytes_raw()
            kid = kid_for(public_raw)
            if kid not in taken:  # a 32-bit id can collide; a new key is cheap
                break
        info = KeyInfo(kid=kid, public_raw=public_raw, created_at=now, status="active")
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Private key first: a ring naming an active key must never point at a missing file.
        _write_atomic(self._private_path(kid), pem, mode=0o600)
        self._write_ring([*ring, info])
        return info

    def _write_ring(self, ring: Iterable[KeyInfo]) -> None:
        data = {"format": KEYSET_FORMAT, "keys": [info.to_json() for info in ring]}
        text = json.dumps(data, indent=2) + "\n"
        _write_atomic(self._ring_path, text.encode("utf-8"), mode=0o644)
        self._cache_stamp = None


def _write_atomic(path: Path, content: bytes, *, mode: int) -> None:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
