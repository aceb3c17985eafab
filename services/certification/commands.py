"""What callers ask the certification service to do (imperative names)."""
