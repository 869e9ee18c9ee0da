"""The Qt-free core: library, schema (the ORM tables), operations, importers, exporters, search.

Nothing under this package may import Qt; ``tests/core/test_no_qt.py`` checks it.
"""
