"""All writing SQL of the notification service."""
