"""Portable credentials: signing keys, did:web, Open Badges 3.0 VC-JWT, Bitstring Status Lists."""
