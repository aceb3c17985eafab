"""The events the enrollment service consumes, each translated into a command."""

from __future__ import annotations

from shared.messaging.subscriptions import Subscriptions

subscriptions = Subscriptions()
