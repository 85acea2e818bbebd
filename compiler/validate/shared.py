"""Rules InferenceServices and runtimes share: env vars KServe blocks in any container
(pkg/validation/env_policy.go), and the protocol versions it knows.
"""

from __future__ import annotations

from typing import Iterable

from compiler.diagnostics import Diagnostic, error
from compiler.document import Document

BLOCKED_ENV = "KSC218"
UNKNOWN_PROTOCOL = "KSC221"  # warning, for InferenceServices and runtimes

BLOCKED_ENV_VARS = ("PYTHONPATH",)                         # validation.DefaultBlockedEnvVars


def blocked_env(doc: Document, containers: Iterable[tuple[tuple, dict]]) -> list[Diagnostic]:
    diags = []
    for path, container in containers:
        for i, env in enumerate(container.get("env") or ()):
            if env.get("name") in BLOCKED_ENV_VARS:
                where = doc.where((*path, "env", i, "name"), key=False)
                diags.append(error(BLOCKED_ENV, f'the {doc.kind} "{doc.display_name}" is invalid: setting {env["name"]} in '
                                   f'container "{container.get("name", "")}" is not allowed for security reasons',
                                   **where, hint="KServe v0.20 refuses it (validation.DefaultBlockedEnvVars)"))
    return diags
