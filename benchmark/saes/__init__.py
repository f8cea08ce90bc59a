"""SAEs: loading SAELens checkpoints and encoding activations."""
