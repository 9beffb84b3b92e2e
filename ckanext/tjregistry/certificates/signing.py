"""Electronic signature of certificates: SM2 with SM3 (GB/T 32918, GB/T 32905).

What is signed
    The *signed document* is a JSON object ``{"format", "alg", "key_id",
    "institution", "content"}``. Its canonical form is the UTF-8 encoding of
    ``json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``:
    keys sorted by code point at every level, no insignificant whitespace, non-ASCII
    characters written as themselves. Values are restricted to strings, integers,
    booleans, null, lists and objects (no floats), so the form is unambiguous and
    coincides with RFC 8785 (JCS) for these documents.

How it is signed
    SM2 digital signature with SM3 as the hash, computed over ``Z_A || message`` with
    the default distinguishing identifier ``1234567812345678`` (GB/T 35276). The
    signature is stored as base64 of the 64-byte ``r || s`` pair (each 32 bytes,
    big-endian). Anyone can verify offline with the institution's published public
    key (PEM SubjectPublicKeyInfo, SM2 curve OID 1.2.156.10197.1.301), e.g. with
    GmSSL, Tongsuo or any library that implements GB/T 32918.2.

Library
    ``tongsuopy`` (Tongsuo Project, Apache-2.0), a binding of the Tongsuo fork of
    OpenSSL with the familiar ``cryptography`` API. It signs and verifies in C with
    the operating system's random source and reads and writes standard PEM keys.
    Its signatures were cross-checked against an independent pure-Python
    implementation (``gmalg``) in both directions; see tests/certificates. The pure
    Python ``gmssl`` package was rejected: it draws signature nonces from
    ``random`` (not a CSPRNG), which can leak the private key. Only signatures that
    parse as 64 bytes reach the C code; they are re-encoded to DER here.

Keys
    ``<key_dir>/<institution name>/<key_id>.key.pem`` (PKCS#8, mode 0600, encrypted
    when a passphrase is configured), ``<key_id>.pub.pem`` and ``ACTIVE`` (the key id
    used for new signatures). Old keys stay so that old certificates still verify.
    The key id is ``sm2-`` followed by the first 16 hex digits of SM3 over the
    DER public key.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.asymciphers.utils import encode_dss_signature
from tongsuopy.crypto.exceptions import InvalidSignature

ENVELOPE_FORMAT = "tjregistry-certificate/1"
# The signed register record of a certificate version (register.py): same envelope
# layout and canonical form, a different format so that neither passes for the other.
RECORD_FORMAT = "tjregistry-register-record/1"
ALGORITHM = "SM2-SM3"
SIGNER_ID = "1234567812345678"
SIGNED_FIELDS = ("format", "alg", "key_id", "institution", "content")
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,99}$")
_KEY_ID = re.compile(r"^sm2-[0-9a-f]{16}$")


class SigningError(Exception):
    """No usable signing key for an institution, or a key store problem."""


def canonical_json(document: Any) -> bytes:
    """The canonical UTF-8 form described in the module docstring."""
    _reject_floats(document)
    return json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats have no canonical form here; use strings or integers")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
            _reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_floats(item)


def signed_document(envelope: dict[str, Any]) -> dict[str, Any]:
    return {field: envelope.get(field) for field in SIGNED_FIELDS}


def key_fingerprint(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SM3())
    digest.update(der)
    return digest.finalize().hex()


def key_id_for(public_key: ec.EllipticCurvePublicKey) -> str:
    return "sm2-" + key_fingerprint(public_key)[:16]


def public_key_pem(public_key: ec.EllipticCurvePublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: str | bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "SM2":
        raise SigningError("not an SM2 public key")
    return key


def sign_bytes(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> str:
    der = private_key.sign(message, ec.ECDSA(hashes.SM3()))
    r, s = _decode_der_signature(bytes(der))
    return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii")


def verify_bytes(public_key: ec.EllipticCurvePublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError, AttributeError):
        return False
    if len(raw) != 64:
        return False
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if r == 0 or s == 0:
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SM3()))
    except InvalidSignature:
        return False
    return True


def _decode_der_signature(der: bytes) -> tuple[int, int]:
    """Decode ``SEQUENCE { INTEGER r, INTEGER s }`` as produced by the library."""
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise SigningError("unexpected signature encoding")
    values = []
    pos = 2
    for _ in range(2):
        if der[pos] != 0x02:
            raise SigningError("unexpected signature encoding")
        length = der[pos + 1]
        values.append(int.from_bytes(der[pos + 2 : pos + 2 + length], "big"))
        pos += 2 + length
    if pos != len(der):
        raise SigningError("unexpected signature encoding")
    return values[0], values[1]


@dataclass(frozen=True)
class PublicKeyInfo:
    institution: str
    key_id: str
    pem: str
    fingerprint: str
    active: bool
    algorithm: str = ALGORITHM


class KeyStore:
    """Institution signing keys in a directory (layout in the module docstring)."""

    def __init__(self, key_dir: str | os.PathLike[str], passphrase: str | None = None) -> None:
        self.key_dir = Path(key_dir)
        self._passphrase = passphrase.encode("utf-8") if passphrase else None

    def _institution_dir(self, institution: str) -> Path:
        if not _SAFE_NAME.match(institution or ""):
            raise SigningError(f"{institution!r} is not a valid institution name")
        return self.key_dir / institution

    def generate(self, institution: str, activate: bool = True) -> PublicKeyInfo:
        folder = self._institution_dir(institution)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_key = ec.generate_private_key(ec.SM2())
        key_id = key_id_for(private_key.public_key())
        encryption = (
            serialization.BestAvailableEncryption(self._passphrase)
            if self._passphrase
            else serialization.NoEncryption()
        )
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        key_path = folder / f"{key_id}.key.pem"
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(private_pem)
        (folder / f"{key_id}.pub.pem").write_text(public_key_pem(private_key.public_key()))
        if activate or not (folder / "ACTIVE").exists():
            (folder / "ACTIVE").write_text(key_id + "\n")
        return self.public_key_info(institution, key_id)

    def active_key_id(self, institution: str) -> str | None:
        active = self._institution_dir(institution) / "ACTIVE"
        if not active.exists():
            return None
        key_id = active.read_text().strip()
        return key_id if _KEY_ID.match(key_id) else None

    def private_key(self, institution: str) -> tuple[str, ec.EllipticCurvePrivateKey]:
        key_id = self.active_key_id(institution)
        if key_id is None:
            raise SigningError(f"institution {institution!r} has no active signing key")
        path = self._institution_dir(institution) / f"{key_id}.key.pem"
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), self._passphrase)
        except (OSError, ValueError, TypeError) as error:
            raise SigningError(f"cannot load signing key {key_id}: {error}") from error
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "SM2":
            raise SigningError(f"signing key {key_id} is not an SM2 key")
        return key_id, key

    def public_key_info(self, institution: str, key_id: str) -> PublicKeyInfo:
        if not _KEY_ID.match(key_id or ""):
            raise SigningError(f"{key_id!r} is not a key id")
        path = self._institution_dir(institution) / f"{key_id}.pub.pem"
        try:
            pem = path.read_text()
        except OSError as error:
            raise SigningError(f"unknown key {key_id} for {institution}") from error
        public_key = load_public_key(pem)
        if key_id_for(public_key) != key_id:
            raise SigningError(f"public key file {path} does not match its key id")
        return PublicKeyInfo(
            institution=institution,
            key_id=key_id,
            pem=pem,
            fingerprint=key_fingerprint(public_key),
            active=self.active_key_id(institution) == key_id,
        )

    def find_public_key(self, institution: str, key_id: str) -> PublicKeyInfo | None:
        try:
            return self.public_key_info(institution, key_id)
        except SigningError:
            return None

    def all_public_keys(self) -> list[PublicKeyInfo]:
        found: list[PublicKeyInfo] = []
        if not self.key_dir.is_dir():
            return found
        for folder in sorted(self.key_dir.iterdir()):
            if not folder.is_dir() or not _SAFE_NAME.match(folder.name):
                continue
            for pub in sorted(folder.glob("sm2-*.pub.pem")):
                info = self.find_public_key(folder.name, pub.name.removesuffix(".pub.pem"))
                if info:
                    found.append(info)
        return found


def sign_content(
    store: KeyStore,
    institution: str,
    content: dict[str, Any],
    *,
    envelope_format: str = ENVELOPE_FORMAT,
) -> dict[str, Any]:
    """The signed envelope of ``content`` made with the institution's active key."""
    key_id, private_key = store.private_key(institution)
    envelope: dict[str, Any] = {
        "format": envelope_format,
        "alg": ALGORITHM,
        "key_id": key_id,
        "institution": institution,
        "content": content,
    }
    envelope["signature"] = sign_bytes(private_key, canonical_json(signed_document(envelope)))
    return envelope


@dataclass(frozen=True)
class SignatureCheck:
    genuine: bool
    reason: str  # "ok", "malformed", "unknown_key", "bad_signature"


def verify_envelope(
    store: KeyStore, envelope: Any, *, envelope_format: str = ENVELOPE_FORMAT
) -> SignatureCheck:
    """Check an envelope's signature against the published key it names."""
    if not isinstance(envelope, dict):
        return SignatureCheck(False, "malformed")
    if envelope.get("format") != envelope_format or envelope.get("alg") != ALGORITHM:
        return SignatureCheck(False, "malformed")
    institution, key_id = envelope.get("institution"), envelope.get("key_id")
    signature, content = envelope.get("signature"), envelope.get("content")
    if not all(isinstance(v, str) for v in (institution, key_id, signature)) or not isinstance(
        content, dict
    ):
        return SignatureCheck(False, "malformed")
    info = store.find_public_key(institution, key_id)
    if info is None:
        return SignatureCheck(False, "unknown_key")
    try:
        message = canonical_json(signed_document(envelope))
    except (TypeError, ValueError):
        return SignatureCheck(False, "malformed")
    if not verify_bytes(load_public_key(info.pem), message, signature):
        return SignatureCheck(False, "bad_signature")
    return SignatureCheck(True, "ok")


def default_keystore() -> KeyStore:
    """The key store configured for this site."""
    import ckan.plugins.toolkit as tk

    key_dir = tk.config.get("tjregistry.certificate.key_dir") or os.path.join(
        tk.config.get("ckan.storage_path") or ".", "tjregistry", "certificate-keys"
    )
    return KeyStore(key_dir, tk.config.get("tjregistry.certificate.key_passphrase") or None)
