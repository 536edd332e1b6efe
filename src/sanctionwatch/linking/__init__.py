"""Linking: cross-list entity resolution and the relationship graph."""
