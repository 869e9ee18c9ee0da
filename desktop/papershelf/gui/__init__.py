"""The desktop app: Qt widgets over :class:`papershelf.core.library.Library`.

Nothing here is imported by the core. Modules import downwards only:
``app`` -> ``main_window`` -> ``widgets``/``dialogs``/``models`` -> ``workers``/``settings``.
"""
