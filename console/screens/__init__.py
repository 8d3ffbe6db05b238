"""Screens of the review console: main queue, history, transcript, dialogs."""
