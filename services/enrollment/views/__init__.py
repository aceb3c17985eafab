"""Read-side queries of the enrollment service, returning response models."""
