"""Validate: each KServe document against its schema (documents.py), then its kind's admission rules:
metadata.py (names, labels, annotations), isvc.py (the InferenceService webhook), runtime.py (the
ServingRuntime webhook and the cross-runtime priority rule); shared.py holds what the last two share."""
