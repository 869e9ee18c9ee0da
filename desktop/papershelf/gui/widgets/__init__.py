"""Widgets of the main window. None of them imports the window; they get the
library, callbacks and signals they need from whoever creates them."""
