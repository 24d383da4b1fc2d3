"""Catalogue files: parsing, loading, validating, writing back and publishing."""
