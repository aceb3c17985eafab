"""Certification: issue, sign, render, verify and revoke certificates."""
