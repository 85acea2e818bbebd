"""`kserve-compiler fix` (issue 18): rewrite the sources in place for every diagnostic that has one safe,
mechanical fix, and leave every other byte as it was.

Pure except write.py (the edge that touches files): text.py (edits as character spans of the original
text), tree.py (ruamel.yaml's round-trip tree, where each fix finds what it edits), one module per fix
kind (legacy, quantity, keys, mode, api_group), plan.py (diagnostics -> edits), verify.py (the never-worse
rule), run.py (compile, plan, compile again, compare).
"""

from __future__ import annotations

# The diagnostic codes fix handles (docs/codes.md marks them "fixable"). Kept here, as plain literals, so a
# table can read it without importing the fixers; tests/unit/test_fix.py checks it against the fixers.
FIXED_CODES = (
    "KSC201",  # an unknown field whose hint names one field: renamed (fix/keys.py)
    "KSC202",  # a quantity written as a float: quoted (fix/quantity.py)
    "KSC230",  # the legacy predictor.<framework> block: predictor.model with modelFormat (fix/legacy.py)
    "KSC240",  # serving.kubeflow.org/v1beta1: serving.kserve.io/v1beta1 (fix/api_group.py)
    "KSC248",  # a deploymentMode's old name: the current one (fix/mode.py)
)
