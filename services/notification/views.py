"""Read-side queries of the notification service, returning response models."""
