"""The desktop app: Qt widgets over :class:`papershelf.core.library.Library`.

Nothing here is imported by the core. Modules import downwards only:
``app`` -> ``main_window`` -> its parts (``actions``, ``library_session``,
``paper_view``, ``sidebar_controller``, ``edits``, ``import_flow``,
``export_flow``, ``window_state``) -> ``widgets``/``dialogs``/``models`` -> ``workers``/``settings``.
The parts name ``main_window`` only in type hints (under ``TYPE_CHECKING``).
"""
