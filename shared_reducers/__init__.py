"""Reducers shared by the server (CPython) and the browser (Transcrypt).

Everything in this package is written in the portable subset described in
SUBSET.md, so that it means the same thing in both places.  It imports
nothing from outside the package.
"""
