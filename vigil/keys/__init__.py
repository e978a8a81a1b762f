"""Keys: specs, cryptography, ciphertext blobs and the root key that wraps material at rest."""
