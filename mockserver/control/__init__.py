"""The control plane under /_mock/: health and the served specs (DESIGN.md, decision 8)."""
