"""Read-side queries of the certification service and the response models they return."""
