"""Adapters that render certificates for people: the printable A4 PDF."""
