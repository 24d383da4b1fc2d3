"""Tools for testing onestop and code built on it: Hypothesis strategies and contracts.

Shipped inside the package so that integrators and adapter authors can use them in
their own test suites.  The modules here need the test tools (Hypothesis, pytest).
"""
