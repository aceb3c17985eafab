"""Jiangxin's common plumbing: events, messaging, db, auth, logging and web. No domain logic."""
