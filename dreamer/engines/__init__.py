"""Dream engines: turn a `DreamContext` into proposals (before critics run)."""
