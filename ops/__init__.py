"""Operator tools that look across the three services; never on the main flow.

The services stay independent of each other: nothing here is imported by a service, and
these tools only read (each database through its own read-only connection, the broker by
passive declares and browsing).
"""
