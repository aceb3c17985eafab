"""What callers ask the enrollment service to do (imperative names)."""
