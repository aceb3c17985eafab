"""Notification: SMS and email for every trainee-facing event."""
