"""``vigil encrypt/decrypt/data-key/sign/verify/random-password`` against a real server."""

from __future__ import annotations

import base64
import hashlib
import os
import string
from pathlib import Path

import pytest

from tests.cli.cli_harness import Cli
from tests.conftest import RunningServer


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


def test_decrypt_returns_exactly_what_encrypt_was_given(vigil: Cli) -> None:
    key_id = vigil.new_key()
    blob = vigil.ok("encrypt", "--key-id", key_id, "--plaintext", "héllo, wörld").strip()
    assert vigil.ok("decrypt", "--ciphertext", blob) == "héllo, wörld\n"
    opened = vigil.json("decrypt", "--ciphertext", blob)
    assert (opened["Plaintext"], opened["KeyId"]) == ("héllo, wörld", key_id)


def test_encryption_context_must_match_on_decrypt(vigil: Cli) -> None:
    key_id = vigil.new_key()
    sealed = vigil.json("encrypt", "--key-id", key_id, "--plaintext", "s3cret", "--context", "tenant=acme")
    blob = sealed["CiphertextBlob"]
    assert vigil.ok("decrypt", "--ciphertext", blob, "--context", "tenant=acme") == "s3cret\n"
    for wrong in (["--context", "tenant=other"], []):
        result = vigil.fails("decrypt", "--ciphertext", blob, *wrong)
        assert result.stdout == ""
        assert result.stderr.startswith("Error: InvalidCiphertext: ")
        assert result.stderr.count("\n") == 1


def test_a_file_round_trips_through_base64(vigil: Cli, tmp_path: Path) -> None:
    key_id = vigil.new_key()
    original = os.urandom(3000) + b"\x00\xff"
    (tmp_path / "secret.bin").write_bytes(original)
    blob = vigil.ok("encrypt", "--key-id", key_id, "--in", str(tmp_path / "secret.bin"))
    (tmp_path / "secret.ct").write_text(blob)
    assert vigil.ok("decrypt", "--in", str(tmp_path / "secret.ct"), "--out", str(tmp_path / "out.bin")) == ""
    assert (tmp_path / "out.bin").read_bytes() == original
    from_stdin = vigil.ok("decrypt", "--in", "-", input=blob).strip()
    assert base64.b64decode(from_stdin) == original


def test_decrypt_out_refuses_a_plaintext_that_is_not_base64(vigil: Cli, tmp_path: Path) -> None:
    blob = vigil.ok("encrypt", "--key-id", vigil.new_key(), "--plaintext", "plain words!").strip()
    result = vigil.fails("decrypt", "--ciphertext", blob, "--out", str(tmp_path / "out.bin"))
    assert "not base64" in result.stderr
    assert not (tmp_path / "out.bin").exists()


def test_encrypt_needs_exactly_one_source(vigil: Cli, tmp_path: Path) -> None:
    key_id = vigil.new_key()
    (tmp_path / "f").write_bytes(b"x")
    for extra in ([], ["--plaintext", "a", "--in", str(tmp_path / "f")]):
        result = vigil.fails("encrypt", "--key-id", key_id, *extra, code=2)
        assert "give exactly one of --plaintext or --in" in result.stderr


def test_disabled_key_refuses_to_encrypt(vigil: Cli) -> None:
    key_id = vigil.new_key()
    vigil.ok("keys", "disable", key_id)
    result = vigil.fails("encrypt", "--key-id", key_id, "--plaintext", "x")
    assert result.stderr.startswith("Error: Rejected.Disabled")


def test_data_key_plaintext_decrypts_from_its_blob(vigil: Cli) -> None:
    key_id = vigil.new_key()
    data_key = vigil.json("data-key", key_id, "--bytes", "16", "--context", "app=billing")
    assert len(base64.b64decode(data_key["Plaintext"])) == 16
    opened = vigil.ok("decrypt", "--ciphertext", data_key["CiphertextBlob"], "--context", "app=billing")
    assert opened.strip() == data_key["Plaintext"]
    sealed_only = vigil.json("data-key", key_id, "--without-plaintext")
    assert set(sealed_only) == {"CiphertextBlob", "KeyId", "KeyVersionId"}


def test_sign_and_verify_a_message_file(vigil: Cli, tmp_path: Path) -> None:
    key_id = vigil.new_key("--spec", "EC_P256", "--usage", "SIGN/VERIFY")
    (tmp_path / "msg").write_bytes(b"release 1.2.3")
    (tmp_path / "other").write_bytes(b"release 6.6.6")
    signature = vigil.ok(
        "sign", key_id, "--algorithm", "ECDSA_SHA_256", "--message-file", str(tmp_path / "msg")
    )
    args = ["verify", key_id, "--algorithm", "ECDSA_SHA_256", "--signature", signature.strip()]
    assert vigil.ok(*args, "--message-file", str(tmp_path / "msg")) == "valid\n"
    digest = base64.b64encode(hashlib.sha256(b"release 1.2.3").digest()).decode()
    assert vigil.json(*args, "--digest", digest)["Value"] is True
    tampered = vigil.fails(*args, "--message-file", str(tmp_path / "other"))
    assert tampered.stdout == "invalid\n"


def test_random_password_honours_length_and_exclusions(vigil: Cli) -> None:
    password = vigil.ok("random-password", "--length", "40", "--no-punctuation", "--exclude", "aeiou").strip()
    assert len(password) == 40
    assert not set(password) & set(string.punctuation + "aeiou")
    assert len(vigil.json("random-password")["RandomPassword"]) == 32
