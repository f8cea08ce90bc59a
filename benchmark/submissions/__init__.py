"""Submitted SAEs: the manifest, intake checks, random controls and the submissions folder."""
