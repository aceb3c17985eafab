"""Pure rules and state machines of the enrollment service: no I/O, no framework."""
