"""All writing SQL of the certification service (and the locked reads before a write)."""
