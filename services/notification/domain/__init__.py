"""Pure rules and state of the notification service: no I/O, no async, no framework."""
