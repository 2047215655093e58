"""Robustness: bad input of every kind, and concurrent clients racing for the same state."""
