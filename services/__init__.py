"""The three Jiangxin services; each owns its database and talks to the others by events."""

SERVICE_NAMES = ("enrollment", "certification", "notification")
