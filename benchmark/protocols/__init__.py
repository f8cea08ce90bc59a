"""Protocols: the benchmark's rules as versioned data files, hashed into every result."""
