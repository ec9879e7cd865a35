"""The app's QR key ring: where its keys live (`keys_directory`), how a request reaches the ring
(`keystore`), the first signing key of a new deployment, and the address codes point at.

The ring itself (rotation, signing, the public key set) is lookup/qr/keys.py; this module ties one
ring to each app, settled at start-up from a validated setting.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask.sansio.app import App

from lookup.config import SETTINGS_KEY, Settings, current_settings
from lookup.qr.keys import KeyInfo, KeyStore, KeyStoreError

KEYSTORE_EXTENSION = "dipcheck.qr.keystore"


def keys_directory(settings: Settings, data_dir: Path) -> Path:
    """`DIPCHECK_QR_KEYS_DIR` when set (e.g. a mounted secret volume), else `<data_dir>/qr_keys`."""
    if settings.qr_keys_dir is not None:
        return settings.qr_keys_dir.expanduser().resolve()
    return data_dir / "qr_keys"


def keystore() -> KeyStore:
    """The current app's QR key ring."""
    store: KeyStore = current_app.extensions[KEYSTORE_EXTENSION]
    return store


def ensure_signing_key() -> KeyInfo | None:
    """Create the first QR signing key when the ring has none (for `dipcheck bootstrap`);
    returns the new key, or None when one exists already (rotation stays an operator's act)."""
    store = keystore()
    ring = store.keys()
    if any(info.status == "active" for info in ring):
        return None
    try:
        return store.create()
    except KeyStoreError:  # another process created it meanwhile
        return None


def base_url() -> str:
    """Where codes point: DIPCHECK_PUBLIC_URL, else (development) the URL this request came to."""
    return current_settings().public_url or request.url_root.rstrip("/")


def init_key_ring(app: App) -> None:
    """Attach the app's key ring (called once, when the QR blueprint is registered)."""
    settings: Settings = app.extensions[SETTINGS_KEY]
    directory = keys_directory(settings, Path(app.config["DATA_DIR"]))
    app.extensions[KEYSTORE_EXTENSION] = KeyStore(directory)
