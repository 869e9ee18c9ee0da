"""Dialogs: import preview, export, list chooser, shortcuts, errors, library recovery."""
