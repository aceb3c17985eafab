"""Deployment: the route table of the public origin, the nginx generator, local bring-up."""
