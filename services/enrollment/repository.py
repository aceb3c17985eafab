"""All writing SQL of the enrollment service."""
