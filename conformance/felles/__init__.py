"""Felles: the standard for shared municipal components and its conformance suite."""

__version__ = "0.1.0"
