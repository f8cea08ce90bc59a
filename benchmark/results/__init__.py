"""Typed result records (JSON + per-example score sidecars), their store and provenance."""
