"""Emit: dump.py (objects -> YAML), layout.py (the stream and the output folder's {path: object} plan),
outdir.py (the atomic folder write), drift.py (--check). The only stage that writes OUT."""
