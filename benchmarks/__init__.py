"""Benchmarks and effectiveness figures of Felles (a package so scripts can share helpers)."""
