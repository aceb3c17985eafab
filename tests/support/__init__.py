"""Test helpers: real PostgreSQL and RabbitMQ resources with unique names per test."""
