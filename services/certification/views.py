"""Read-side queries of the certification service, returning response models."""
