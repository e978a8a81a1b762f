"""Vigil: a self-hosted key management and secrets service that watches itself."""

__version__ = "0.1.0"
