"""KMS 2016-01-20 cryptographic actions, served in memory on the event loop (no worker thread).

Plaintext is treated as an opaque string: Decrypt returns exactly the string Encrypt was
given, so a base64 caller gets base64 back and GenerateDataKey's Plaintext round-trips.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from vigil.dialects.alibaba.kms_keys import key_resource
from vigil.dialects.alibaba.pop import Params
from vigil.errors import FailedPrecondition, InvalidArgument
from vigil.http.calls import CallContext, Operation
from vigil.keys.crypto import random_password
from vigil.keys.model import Key
from vigil.keys.specs import KeyUsage

Result = dict[str, Any]

_DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}


class DryRunOperation(FailedPrecondition):
    code = "DryRunOperationError"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _context(p: Params, name: str = "EncryptionContext") -> dict[str, Any] | None:
    return p.json_object(name)


def _dry_run(ctx: CallContext, p: Params, key_ref: str, usage: KeyUsage) -> None:
    if p.bool("DryRun"):
        ctx.services.data_plane.usable_key(ctx.account_id, key_ref, usage, ctx.action)
        raise DryRunOperation(f"{ctx.action} would have succeeded; DryRun was set")


def _plaintext(p: Params) -> bytes:
    return p.required("Plaintext", max_len=8192).encode()


def encrypt(ctx: CallContext, p: Params) -> Result:
    key_ref = p.required("KeyId")
    _dry_run(ctx, p, key_ref, KeyUsage.ENCRYPT_DECRYPT)
    sealed = ctx.services.data_plane.encrypt(ctx.account_id, key_ref, _plaintext(p), _context(p))
    return {"CiphertextBlob": _b64(sealed.blob), "KeyId": sealed.key_id, "KeyVersionId": sealed.version_id}


def _authorize_blob(ctx: CallContext, blob: bytes) -> str:
    key_id = ctx.services.data_plane.key_of_blob(blob)
    ctx.authorize(ctx.arn("key", key_id))
    return key_id


def decrypt(ctx: CallContext, p: Params) -> Result:
    blob = p.base64("CiphertextBlob")
    key_id = _authorize_blob(ctx, blob)
    _dry_run(ctx, p, key_id, KeyUsage.ENCRYPT_DECRYPT)
    opened = ctx.services.data_plane.decrypt(ctx.account_id, blob, _context(p))
    return {
        "Plaintext": _text(opened.plaintext),
        "KeyId": opened.key_id,
        "KeyVersionId": opened.version_id,
        "CiphertextForRecipient": "",
    }


def _text(plaintext: bytes) -> str:
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        return _b64(plaintext)


def _data_key_bytes(p: Params) -> int:
    spec = p.str("KeySpec")
    if "NumberOfBytes" in p.raw and p.raw["NumberOfBytes"] != "":
        return p.int("NumberOfBytes", lo=1, hi=1024)
    if spec is None:
        return 32
    if spec not in _DATA_KEY_SPECS:
        raise InvalidArgument(f"KeySpec {spec!r} is invalid for data keys; use AES_256 or AES_128")
    return _DATA_KEY_SPECS[spec]


def generate_data_key(ctx: CallContext, p: Params) -> Result:
    key_ref = p.required("KeyId")
    _dry_run(ctx, p, key_ref, KeyUsage.ENCRYPT_DECRYPT)
    plaintext, sealed = ctx.services.data_plane.generate_data_key(
        ctx.account_id, key_ref, _data_key_bytes(p), _context(p)
    )
    return {
        "CiphertextBlob": _b64(sealed.blob),
        "Plaintext": plaintext,
        "KeyId": sealed.key_id,
        "KeyVersionId": sealed.version_id,
        "CiphertextForRecipient": "",
    }


def generate_data_key_without_plaintext(ctx: CallContext, p: Params) -> Result:
    result = generate_data_key(ctx, p)
    return {k: result[k] for k in ("CiphertextBlob", "KeyId", "KeyVersionId")}


def re_encrypt(ctx: CallContext, p: Params) -> Result:
    blob = p.base64("CiphertextBlob")
    if p.str("SourceEncryptionAlgorithm") or p.str("SourceKeyVersionId"):
        raise InvalidArgument(
            "ReEncrypt of asymmetric ciphertext is not supported; omit SourceEncryptionAlgorithm"
        )
    _authorize_blob(ctx, blob)
    destination = p.required("DestinationKeyId")
    ctx.authorize(ctx.arn("key", ctx.services.keys.resolve(ctx.account_id, destination).key_id))
    _dry_run(ctx, p, destination, KeyUsage.ENCRYPT_DECRYPT)
    _, sealed = ctx.services.data_plane.re_encrypt(
        ctx.account_id,
        blob,
        _context(p, "SourceEncryptionContext"),
        destination,
        _context(p, "DestinationEncryptionContext"),
    )
    return {"CiphertextBlob": _b64(sealed.blob), "KeyId": sealed.key_id, "KeyVersionId": sealed.version_id}


def _asymmetric(
    ctx: CallContext,
    p: Params,
    operation: Callable[..., tuple[Key, str, Any]],
    usage: KeyUsage,
    inputs: Sequence[str],
    output: str,
) -> Result:
    """Runs a DataPlane asymmetric OPERATION on KeyId, KeyVersionId, Algorithm and the base64 INPUTS.

    The answer carries the operation's result under OUTPUT: base64 bytes, or a verdict as is.
    """
    key_ref = p.required("KeyId")
    _dry_run(ctx, p, key_ref, usage)
    version_id, algorithm = p.str("KeyVersionId"), p.required("Algorithm")
    key, version, value = operation(ctx.account_id, key_ref, version_id, algorithm, *map(p.base64, inputs))
    return {
        output: value if isinstance(value, bool) else _b64(value),
        "KeyId": key.key_id,
        "KeyVersionId": version,
    }


def asymmetric_encrypt(ctx: CallContext, p: Params) -> Result:
    encrypt = ctx.services.data_plane.asymmetric_encrypt
    return _asymmetric(ctx, p, encrypt, KeyUsage.ENCRYPT_DECRYPT, ["Plaintext"], "CiphertextBlob")


def asymmetric_decrypt(ctx: CallContext, p: Params) -> Result:
    decrypt = ctx.services.data_plane.asymmetric_decrypt
    answer = _asymmetric(ctx, p, decrypt, KeyUsage.ENCRYPT_DECRYPT, ["CiphertextBlob"], "Plaintext")
    return {**answer, "CiphertextForRecipient": ""}


def asymmetric_sign(ctx: CallContext, p: Params) -> Result:
    sign = ctx.services.data_plane.sign
    return _asymmetric(ctx, p, sign, KeyUsage.SIGN_VERIFY, ["Digest"], "Value")


def asymmetric_verify(ctx: CallContext, p: Params) -> Result:
    verify = ctx.services.data_plane.verify
    return _asymmetric(ctx, p, verify, KeyUsage.SIGN_VERIFY, ["Digest", "Value"], "Value")


def get_public_key(ctx: CallContext, p: Params) -> Result:
    key, version, pem = ctx.services.data_plane.public_key(
        ctx.account_id, p.required("KeyId"), p.str("KeyVersionId")
    )
    return {"PublicKey": pem, "KeyId": key.key_id, "KeyVersionId": version}


def get_random_password(ctx: CallContext, p: Params) -> Result:
    ctx.authorize(ctx.arn("key", "*"))
    password = random_password(
        p.int("PasswordLength", 32, lo=8, hi=128),
        exclude_characters=p.raw.get("ExcludeCharacters", ""),
        exclude_lowercase=p.bool("ExcludeLowercase"),
        exclude_uppercase=p.bool("ExcludeUppercase"),
        exclude_numbers=p.bool("ExcludeNumbers"),
        exclude_punctuation=p.bool("ExcludePunctuation"),
        require_each_included_type=p.bool("RequireEachIncludedType", True),
        rng=ctx.services.rng,
    )
    return {"RandomPassword": password}


def _op(name: str, handler: Any, resource: Any = None) -> Operation:
    return Operation("Kms", name, handler, "Read", False, resource)


OPERATIONS = [
    _op("Encrypt", encrypt, key_resource),
    _op("Decrypt", decrypt),
    _op("GenerateDataKey", generate_data_key, key_resource),
    _op("GenerateDataKeyWithoutPlaintext", generate_data_key_without_plaintext, key_resource),
    _op("ReEncrypt", re_encrypt),
    _op("AsymmetricEncrypt", asymmetric_encrypt, key_resource),
    _op("AsymmetricDecrypt", asymmetric_decrypt, key_resource),
    _op("AsymmetricSign", asymmetric_sign, key_resource),
    _op("AsymmetricVerify", asymmetric_verify, key_resource),
    _op("GetPublicKey", get_public_key, key_resource),
    _op("GetRandomPassword", get_random_password),
]
