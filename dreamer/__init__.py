"""Reverie's dreamer: turns agent experience into proposals, without a UI.

Transcript adapters, redaction, ingest, the workspace watcher, signal
extraction, consolidation, critics, replay verification and the engines.
"""
