"""All writing SQL of the certification service."""
