"""Local bring-up: `make run` supervisor and test helpers."""
