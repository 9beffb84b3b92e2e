"""SM2/SM3 signatures over the canonical form, keys, and an independent cross-check."""
from __future__ import annotations

import base64
import copy
import json
import os
import stat

import gmalg
import pytest

from ckanext.tjregistry.certificates import signing

INSTITUTION = "heping-data-center"
CONTENT = {
    "code": "TJ-120101-2026-R-00001-ABCDE-0",
    "version": 1,
    "national_code": None,
    "registrant": {"name": "天津市和平区交通运输局", "uscc": "11120101MB0000000X"},
    "data_name": "和平区公交线路数据",
    "valid_until": "2029-11-26",
}


@pytest.fixture
def store(tmp_path):
    keystore = signing.KeyStore(tmp_path / "keys")
    keystore.generate(INSTITUTION)
    return keystore


def test_sm3_reference_vector():
    # GB/T 32905 example A.1.
    from tongsuopy.crypto import hashes

    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_canonical_form_is_sorted_compact_utf8():
    document = {"b": [1, {"z": None, "a": True}], "a": "登记"}
    assert signing.canonical_json(document) == '{"a":"登记","b":[1,{"a":true,"z":null}]}'.encode()
    with pytest.raises(TypeError):
        signing.canonical_json({"scale": 1.5})


def test_genuine_envelope_verifies(store):
    envelope = signing.sign_content(store, INSTITUTION, CONTENT)
    assert envelope["alg"] == "SM2-SM3"
    assert envelope["key_id"] == store.active_key_id(INSTITUTION)
    assert len(base64.b64decode(envelope["signature"])) == 64
    assert signing.verify_envelope(store, envelope) == signing.SignatureCheck(True, "ok")
    # A JSON round trip (as through a PDF attachment) keeps it verifiable.
    assert signing.verify_envelope(store, json.loads(json.dumps(envelope, indent=2))).genuine


@pytest.mark.parametrize(
    "alter",
    [
        lambda e: e["content"].__setitem__("data_name", "和平区公交线路数据（修改）"),
        lambda e: e["content"].__setitem__("valid_until", "2039-11-26"),
        lambda e: e["content"]["registrant"].__setitem__("uscc", "11120101MB0000001X"),
        lambda e: e["content"].__setitem__("extra", "added"),
        lambda e: e.__setitem__("institution", "other-center"),
    ],
)
def test_altered_content_fails(store, alter):
    envelope = signing.sign_content(store, INSTITUTION, CONTENT)
    altered = copy.deepcopy(envelope)
    alter(altered)
    assert not signing.verify_envelope(store, altered).genuine


def test_resigned_with_an_unpublished_key_fails(store, tmp_path):
    genuine = signing.sign_content(store, INSTITUTION, CONTENT)
    forger = signing.KeyStore(tmp_path / "forger")
    forger.generate(INSTITUTION)
    forged = signing.sign_content(forger, INSTITUTION, {**CONTENT, "data_name": "伪造"})
    # Claiming the genuine key id: the signature does not match the published key.
    forged_claiming_key = {**forged, "key_id": genuine["key_id"]}
    assert signing.verify_envelope(store, forged_claiming_key) == signing.SignatureCheck(
        False, "bad_signature"
    )
    # Naming the forger's own key: it is not published.
    assert signing.verify_envelope(store, forged) == signing.SignatureCheck(False, "unknown_key")


def test_key_of_another_institution_is_not_accepted(store):
    other = store.generate("hexi-data-center")
    forged = signing.sign_content(store, "hexi-data-center", CONTENT)
    assert forged["key_id"] == other.key_id
    claimed = {**forged, "institution": INSTITUTION}
    assert signing.verify_envelope(store, claimed) == signing.SignatureCheck(False, "unknown_key")


@pytest.mark.parametrize(
    "serialise",
    [
        lambda d: json.dumps(d, ensure_ascii=True, sort_keys=True, separators=(",", ":")),
        lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True),
        lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":")),
        lambda d: json.dumps(
            d["content"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ),
    ],
)
def test_signature_over_another_serialisation_fails(store, serialise):
    _, private_key = store.private_key(INSTITUTION)
    envelope = signing.sign_content(store, INSTITUTION, CONTENT)
    document = signing.signed_document(envelope)
    other_form = serialise(document).encode("utf-8")
    assert other_form != signing.canonical_json(document)
    envelope["signature"] = signing.sign_bytes(private_key, other_form)
    assert signing.verify_envelope(store, envelope) == signing.SignatureCheck(
        False, "bad_signature"
    )


@pytest.mark.parametrize(
    "signature", ["", "not base64!", base64.b64encode(b"\x01" * 63).decode(), "A" * 88]
)
def test_malformed_signatures_fail(store, signature):
    envelope = signing.sign_content(store, INSTITUTION, CONTENT)
    envelope["signature"] = signature
    assert not signing.verify_envelope(store, envelope).genuine


def test_non_envelopes_are_malformed(store):
    assert signing.verify_envelope(store, None).reason == "malformed"
    assert signing.verify_envelope(store, {"format": "other"}).reason == "malformed"


def _raw_public_key(pem: str) -> bytes:
    numbers = signing.load_public_key(pem).public_numbers()
    return b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def test_independent_implementation_verifies_our_signatures(store):
    """gmalg (pure Python GB/T 32918) accepts our signatures with the published key."""
    envelope = signing.sign_content(store, INSTITUTION, CONTENT)
    info = store.public_key_info(INSTITUTION, envelope["key_id"])
    message = signing.canonical_json(signing.signed_document(envelope))
    raw = base64.b64decode(envelope["signature"])
    verifier = gmalg.SM2(pk=_raw_public_key(info.pem), uid=signing.SIGNER_ID.encode())
    assert verifier.verify(message, raw[:32], raw[32:])
    assert not verifier.verify(message + b" ", raw[:32], raw[32:])
    # The distinguishing identifier is part of Z_A: another one must fail.
    other_id = gmalg.SM2(pk=_raw_public_key(info.pem), uid=b"another-signer-id")
    assert not other_id.verify(message, raw[:32], raw[32:])


def test_we_verify_signatures_of_an_independent_implementation(store):
    from tongsuopy.crypto import serialization

    _, private_key = store.private_key(INSTITUTION)
    secret = private_key.private_numbers().private_value.to_bytes(32, "big")
    pem = signing.public_key_pem(private_key.public_key())
    signer = gmalg.SM2(sk=secret, pk=_raw_public_key(pem), uid=signing.SIGNER_ID.encode())
    message = "天津市公共数据资源登记".encode()
    r, s = signer.sign(message)
    signature = base64.b64encode(r.rjust(32, b"\0") + s.rjust(32, b"\0")).decode()
    public_key = serialization.load_pem_public_key(pem.encode())
    assert signing.verify_bytes(public_key, message, signature)
    assert not signing.verify_bytes(public_key, message + b"!", signature)


def test_key_files_layout_and_rotation(tmp_path):
    keystore = signing.KeyStore(tmp_path / "keys")
    first = keystore.generate(INSTITUTION)
    folder = tmp_path / "keys" / INSTITUTION
    key_file = folder / f"{first.key_id}.key.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.key_id == "sm2-" + first.fingerprint[:16]
    assert "BEGIN PUBLIC KEY" in first.pem and first.active

    spare = keystore.generate(INSTITUTION, activate=False)
    assert keystore.active_key_id(INSTITUTION) == first.key_id
    second = keystore.generate(INSTITUTION)
    assert keystore.active_key_id(INSTITUTION) == second.key_id
    listed = {(k.key_id, k.active) for k in keystore.all_public_keys()}
    assert listed == {(first.key_id, False), (spare.key_id, False), (second.key_id, True)}


def test_old_keys_still_verify_after_rotation(tmp_path):
    keystore = signing.KeyStore(tmp_path / "keys")
    keystore.generate(INSTITUTION)
    old_envelope = signing.sign_content(keystore, INSTITUTION, CONTENT)
    keystore.generate(INSTITUTION)
    new_envelope = signing.sign_content(keystore, INSTITUTION, CONTENT)
    assert old_envelope["key_id"] != new_envelope["key_id"]
    assert signing.verify_envelope(keystore, old_envelope).genuine
    assert signing.verify_envelope(keystore, new_envelope).genuine


def test_encrypted_private_keys_need_the_passphrase(tmp_path):
    protected = signing.KeyStore(tmp_path / "keys", passphrase="correct horse")
    info = protected.generate(INSTITUTION)
    pem = (tmp_path / "keys" / INSTITUTION / f"{info.key_id}.key.pem").read_text()
    assert "ENCRYPTED PRIVATE KEY" in pem
    assert protected.private_key(INSTITUTION)[0] == info.key_id
    with pytest.raises(signing.SigningError):
        signing.KeyStore(tmp_path / "keys").private_key(INSTITUTION)
    with pytest.raises(signing.SigningError):
        signing.KeyStore(tmp_path / "keys", passphrase="wrong").private_key(INSTITUTION)


@pytest.mark.parametrize("name", ["../etc", "Upper", "", "a/b", "x" * 101])
def test_unsafe_institution_names_are_refused(tmp_path, name):
    with pytest.raises(signing.SigningError):
        signing.KeyStore(tmp_path).generate(name)


def test_institution_without_key(tmp_path):
    with pytest.raises(signing.SigningError):
        signing.KeyStore(tmp_path).private_key(INSTITUTION)
