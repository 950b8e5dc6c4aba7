"""Dirigent: a real-time companion for techno producers."""

__version__ = "0.1.0"
