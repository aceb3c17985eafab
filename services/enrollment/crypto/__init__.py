"""Adapters to the cryptography libraries: ID-number ciphers, keyed hashes, password hashes."""
