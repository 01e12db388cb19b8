"""Statements across documents -> claims: claim words, links, corroboration clusters.
"""
