"""The version, in a module of its own so that any part can read it without importing the
package (whose lazy exports name the app)."""

__version__ = "0.1.0"
