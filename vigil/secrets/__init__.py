"""Secrets: versions, stages, deletion windows, rotation and consumers."""
