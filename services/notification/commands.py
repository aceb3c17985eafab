"""What callers ask the notification service to do (imperative names)."""
