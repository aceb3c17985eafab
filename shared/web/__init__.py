"""HTTP plumbing shared by the services: typed routes, problem+json, health and metrics."""
