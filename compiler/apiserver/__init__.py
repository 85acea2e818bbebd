"""The API server's own validation: names.py (names, labels, annotations), objects.py (whole objects)."""
