"""Regimes: each turns a dataset into cells (dataset, regime, level, seed) with index sets.

Every method of a cell sees exactly the same rows; no test row enters training or selection.
"""
