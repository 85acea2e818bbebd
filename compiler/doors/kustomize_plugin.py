"""`kserve-compiler kustomize-plugin CONFIG_FILE`: kustomize's legacy exec-plugin contract
(docs/design.md, integrations §2.3). argv[1] is a file holding the KServeCompile object; stdin is the resource stream
of a transformer (empty for a generator, which reads `spec.paths` from disk); stdout is a plain multi-doc
YAML stream of pass-through and generated objects, consumed inputs dropped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from compiler.diagnostics import Diagnostic, error, has_errors
from compiler.doors import function
from compiler.doors.function_config import BAD_FUNCTION_CONFIG, STDIN, Options, options
from compiler.doors.items import Disk, documents, role
from compiler.emit.dump import dump
from compiler.settings import Limits
from compiler.sources.parse import parse
from compiler.sources.walk import SourceFile


def run(config_file: str, stdin: IO, stdout: IO[str], stderr: IO[str]) -> int:
    """`kserve-compiler kustomize-plugin CONFIG_FILE`: the resource stream (or nothing) on stdin, a plain
    YAML stream on stdout. Zero generated objects is an error unless `allowEmpty` (Decision 4)."""
    opts, diags = _plugin_options(config_file)
    if has_errors(diags):
        function.report(function.Run(diags), stderr)
        return 1
    raw = _read_stream(stdin)
    loaded = parse(raw, SourceFile(None, STDIN, STDIN, True), limits=Limits(nodes=max(Limits().nodes, len(raw))))
    diags += loaded.diagnostics
    items = [d.data for d in loaded.documents]
    root = os.environ.get("KUSTOMIZE_PLUGIN_CONFIG_ROOT")
    docs, item_diags = documents(items, {i: d.positions for i, d in enumerate(loaded.documents)}, Disk(root))
    plugin_run = function.compile_items(opts, docs, root=root, allow_empty=False, annotate=False, diags=diags + item_diags)
    function.report(plugin_run, stderr)
    if plugin_run.failed or plugin_run.internal_error:
        return function.exit_code(plugin_run)
    # echoed as they came, kustomize's id annotation included: kustomize maps them back to its resources
    kept = [dump(item) for item, doc in zip(items, docs) if role(doc) == "keep"]
    stdout.write("---\n".join(kept + plugin_run.new))
    stdout.flush()
    return 0


def _plugin_options(config_file: str) -> tuple[Options, list[Diagnostic]]:
    path = Path(config_file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Options(), [error(BAD_FUNCTION_CONFIG, f"cannot read the plugin config: {exc.strerror}",
                                 file=config_file)]
    loaded = parse(raw, SourceFile(path, config_file, config_file, True))
    # kustomize hands over a temp file (its name means nothing to the user): then name the object only.
    where = {} if os.environ.get("KUSTOMIZE_PLUGIN_CONFIG_STRING") else {"file": config_file}
    if loaded.diagnostics or len(loaded.documents) != 1:
        return Options(), loaded.diagnostics or [error(BAD_FUNCTION_CONFIG, "the plugin config must hold one "
                                                       "KServeCompile object", **where)]
    doc = loaded.documents[0]
    return options(doc.data, where={**where, "object": doc.ref}, positions=doc.positions if where else None)


def _read_stream(stdin: IO) -> bytes:
    if stdin is None or (hasattr(stdin, "isatty") and stdin.isatty()):
        return b""  # a generator run by hand: there is no resource stream
    data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    return data.encode("utf-8") if isinstance(data, str) else data
