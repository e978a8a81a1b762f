"""The ``vigil`` command line: serving, administration and everyday operations."""
