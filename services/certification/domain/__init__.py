"""Pure rules of the certification service: no I/O, no async, no framework imports."""
