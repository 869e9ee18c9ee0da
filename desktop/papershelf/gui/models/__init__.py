"""Item models: the paper table over row ids, and the sidebar tree."""
