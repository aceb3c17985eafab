"""Typed message templates: variables per event, texts per locale and channel."""
