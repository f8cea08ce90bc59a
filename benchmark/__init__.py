"""saeprobe: a standing benchmark of sparse autoencoders on hard sparse-probing regimes."""

__version__ = "0.1.0"
