"""The spec-driven edge: loading specs, routing by them, validating against them.

The only package that imports openapi-core.
"""
