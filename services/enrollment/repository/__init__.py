"""All writing SQL of the enrollment service, one module per aggregate."""
