"""Pure rules and state machines of the notification service: no I/O, no framework."""
