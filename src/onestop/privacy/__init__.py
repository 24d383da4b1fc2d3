"""Adapters that keep personal data and the audit trail safe: keys, ciphers and signatures.

Each module is imported by its own name (`onestop.privacy.signing`); this package
imports nothing, so that importing one never loads the others.
"""
