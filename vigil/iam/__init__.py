"""Identities: the account, RAM-style users, access keys, policies and request authentication."""
