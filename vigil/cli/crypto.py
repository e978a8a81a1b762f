"""Cryptographic commands: encrypt, decrypt, data-key, sign, verify and random-password (KMS 2016-01-20).

Vigil treats Plaintext as an opaque string: Decrypt returns exactly what Encrypt was given.
Files are therefore sent base64-encoded, and ``decrypt --out`` base64-decodes them back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sys
from collections.abc import Sequence
from typing import IO, Any

import click

from vigil.cli.config import Target
from vigil.cli.options import F, exactly_one, json_option, key_values
from vigil.cli.output import emit

_SIGN_ALGORITHMS = ("RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256", "ECDSA_SHA_256")
_KEY_HELP = "Key id, ARN or alias/NAME."

context_option = click.option(
    "--context",
    "context",
    multiple=True,
    metavar="NAME=VALUE",
    callback=key_values,
    help="Encryption context entry NAME=VALUE, bound to the ciphertext; repeatable. Decrypt needs the same.",
)


def _context(pairs: Sequence[tuple[str, str]]) -> dict[str, str] | None:
    return dict(pairs) or None


def _result(body: dict[str, Any]) -> dict[str, Any]:
    body.pop("RequestId", None)
    return body


@click.command()
@click.option("--key-id", required=True, help=_KEY_HELP)
@click.option("--plaintext", default=None, help="Text to encrypt, sent exactly as given.")
@click.option(
    "--in",
    "infile",
    type=click.File("rb"),
    default=None,
    help="Encrypt this file's bytes ('-' for stdin); they are base64-encoded first, so decrypt with --out.",
)
@context_option
@json_option
@click.pass_obj
def encrypt(
    target: Target,
    key_id: str,
    plaintext: str | None,
    infile: IO[bytes] | None,
    context: tuple[tuple[str, str], ...],
    as_json: bool,
) -> None:
    """Encrypt a short text or a small file (up to about 6 KiB) and print the CiphertextBlob.

    Vigil treats the plaintext as an opaque string: decrypt returns exactly the string sent
    here. With --in FILE the file's bytes are base64-encoded before sending, so use
    'vigil decrypt --out FILE' to get the bytes back. For larger data, use 'vigil data-key'.
    """
    exactly_one({"--plaintext": plaintext, "--in": infile})
    text = plaintext if infile is None else base64.b64encode(infile.read()).decode()
    body = target.client().call(
        "Encrypt", {"KeyId": key_id, "Plaintext": text, "EncryptionContext": _context(context)}
    )
    emit(_result(body) if as_json else body["CiphertextBlob"], as_json=as_json)


@click.command()
@click.option("--ciphertext", default=None, help="The CiphertextBlob that encrypt printed.")
@click.option(
    "--in",
    "infile",
    type=click.File("r"),
    default=None,
    help="Read the CiphertextBlob from a file ('-' for stdin).",
)
@click.option(
    "--out",
    "outfile",
    type=click.File("wb"),
    default=None,
    help="Base64-decode the plaintext and write the bytes here: the reverse of 'encrypt --in FILE'.",
)
@context_option
@json_option
@click.pass_obj
def decrypt(
    target: Target,
    ciphertext: str | None,
    infile: IO[str] | None,
    outfile: IO[bytes] | None,
    context: tuple[tuple[str, str], ...],
    as_json: bool,
) -> None:
    """Decrypt a CiphertextBlob and print the plaintext exactly as it was encrypted.

    With --out FILE the plaintext is base64-decoded and written as bytes, the reverse of
    'vigil encrypt --in FILE'. The --context entries must equal those given to encrypt.
    """
    exactly_one({"--ciphertext": ciphertext, "--in": infile})
    blob = ciphertext if infile is None else infile.read().strip()
    body = target.client().call("Decrypt", {"CiphertextBlob": blob, "EncryptionContext": _context(context)})
    if outfile is not None:
        _write_decoded(str(body["Plaintext"]), outfile)
    elif as_json:
        emit(_result(body), as_json=True)
    else:
        click.echo(body["Plaintext"])


def _write_decoded(plaintext: str, out: IO[bytes]) -> None:
    try:
        data = base64.b64decode(plaintext, validate=True)
    except (binascii.Error, ValueError):
        raise click.ClickException(
            "the plaintext is not base64, so it was not encrypted from a file; decrypt without --out"
        ) from None
    out.write(data)


@click.command("data-key")
@click.argument("key")
@click.option("--bytes", "size", type=click.IntRange(1, 1024), default=32, show_default=True)
@click.option("--without-plaintext", is_flag=True, help="Return only the encrypted data key.")
@context_option
@json_option
@click.pass_obj
def data_key(
    target: Target,
    key: str,
    size: int,
    without_plaintext: bool,
    context: tuple[tuple[str, str], ...],
    as_json: bool,
) -> None:
    """Generate a data key for envelope encryption: its plaintext (base64) and its CiphertextBlob."""
    action = "GenerateDataKeyWithoutPlaintext" if without_plaintext else "GenerateDataKey"
    body = target.client().call(
        action, {"KeyId": key, "NumberOfBytes": size, "EncryptionContext": _context(context)}
    )
    emit(_result(body), as_json=as_json)


def _digest(digest: str | None, message: IO[bytes] | None) -> str:
    exactly_one({"--digest": digest, "--message-file": message})
    if message is None:
        return str(digest)
    return base64.b64encode(hashlib.sha256(message.read()).digest()).decode()


def _signing_options(f: F) -> F:
    for option in reversed(
        [
            click.argument("key"),
            click.option("--algorithm", required=True, type=click.Choice(_SIGN_ALGORITHMS)),
            click.option("--digest", default=None, help="Base64 SHA-256 digest of the message."),
            click.option(
                "--message-file",
                "message",
                type=click.File("rb"),
                default=None,
                help="Hash this file with SHA-256 locally and use its digest ('-' for stdin).",
            ),
            click.option("--version", "version_id", default=None, help="Key version (default: the primary)."),
        ]
    ):
        f = option(f)
    return f


@click.command()
@_signing_options
@json_option
@click.pass_obj
def sign(
    target: Target,
    key: str,
    algorithm: str,
    digest: str | None,
    message: IO[bytes] | None,
    version_id: str | None,
    as_json: bool,
) -> None:
    """Sign a SHA-256 digest with an asymmetric key and print the signature (base64)."""
    body = target.client().call(
        "AsymmetricSign",
        {
            "KeyId": key,
            "KeyVersionId": version_id,
            "Algorithm": algorithm,
            "Digest": _digest(digest, message),
        },
    )
    emit(_result(body) if as_json else body["Value"], as_json=as_json)


@click.command()
@_signing_options
@click.option("--signature", required=True, help="The signature (base64) to check.")
@json_option
@click.pass_obj
def verify(
    target: Target,
    key: str,
    algorithm: str,
    digest: str | None,
    message: IO[bytes] | None,
    version_id: str | None,
    signature: str,
    as_json: bool,
) -> None:
    """Check a signature; prints valid (exit 0) or invalid (exit 1)."""
    body = target.client().call(
        "AsymmetricVerify",
        {
            "KeyId": key,
            "KeyVersionId": version_id,
            "Algorithm": algorithm,
            "Digest": _digest(digest, message),
            "Value": signature,
        },
    )
    valid = body["Value"] is True or str(body["Value"]).lower() == "true"
    emit(_result(body) if as_json else "valid" if valid else "invalid", as_json=as_json)
    if not valid:
        sys.exit(1)


@click.command("random-password")
@click.option("--length", type=click.IntRange(8, 128), default=32, show_default=True)
@click.option("--exclude", default=None, metavar="CHARS", help="Characters the password must not contain.")
@click.option("--no-lowercase", is_flag=True)
@click.option("--no-uppercase", is_flag=True)
@click.option("--no-numbers", is_flag=True)
@click.option("--no-punctuation", is_flag=True)
@json_option
@click.pass_obj
def random_password(
    target: Target,
    length: int,
    exclude: str | None,
    no_lowercase: bool,
    no_uppercase: bool,
    no_numbers: bool,
    no_punctuation: bool,
    as_json: bool,
) -> None:
    """Generate a random password on the server."""
    body = target.client().call(
        "GetRandomPassword",
        {
            "PasswordLength": length,
            "ExcludeCharacters": exclude,
            "ExcludeLowercase": no_lowercase or None,
            "ExcludeUppercase": no_uppercase or None,
            "ExcludeNumbers": no_numbers or None,
            "ExcludePunctuation": no_punctuation or None,
        },
    )
    emit(_result(body) if as_json else body["RandomPassword"], as_json=as_json)


COMMANDS: list[click.Command] = [encrypt, decrypt, data_key, sign, verify, random_password]
