"""One async use case per command; the only place touching the unit of work."""
