"""Reliable messaging: outbox + relay, inbox, consumer with retry tiers and dead letters."""
