"""Use cases of the notification service; the only code touching the unit of work."""
