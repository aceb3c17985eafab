"""Pure rules and state machines of the certification service: no I/O, no framework."""
