"""Widgets of the review console; presentation only (no store calls)."""
