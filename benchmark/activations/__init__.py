"""Activations: models and hooks, batched extraction, and the content-addressed on-disk store."""
