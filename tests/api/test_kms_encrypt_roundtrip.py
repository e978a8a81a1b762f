"""Encrypt and Decrypt through the official SDK, on both storage backends."""

from __future__ import annotations

from typing import Any

from alibabacloud_kms20160120 import models


def test_encrypt_then_decrypt_returns_the_plaintext(kms: Any) -> None:
    key = kms.create_key(models.CreateKeyRequest()).body.key_metadata
    sealed = kms.encrypt(models.EncryptRequest(key_id=key.key_id, plaintext="aGVsbG8=")).body
    opened = kms.decrypt(models.DecryptRequest(ciphertext_blob=sealed.ciphertext_blob)).body
    assert opened.plaintext == "aGVsbG8="
    assert opened.key_id == key.key_id
    assert opened.key_version_id == key.primary_key_version
