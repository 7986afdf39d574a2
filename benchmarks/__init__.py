"""Benchmarks of the book's layers: ``python -m benchmarks.layers`` (see README). Results are not tests."""
