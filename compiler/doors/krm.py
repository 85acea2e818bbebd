"""KRM function mode (`kserve-compiler krm`): a ResourceList in, function.compile_items(), a ResourceList out.
The kustomize exec plugin is kustomize_plugin.py; what both share is function.py.

KRM (KRM Functions Specification v1; docs/design.md, integrations §1, §7; docs/design.md Decisions 1 and 10)::

    stdin   ResourceList {items, functionConfig}: YAML or JSON
    stdout  ResourceList {items, results}: nothing else, ever
    stderr  the diagnostics as text (kustomize shows only stderr), and a summary line

Every input item is echoed except our previous output (items with our managed-by label, regenerated
here, so a second `kpt fn render` changes nothing); consumed inputs gain `config.kubernetes.io/local-config:
"true"` (kpt keeps their files, kustomize drops them from its build); config-only items are untouched;
then the generated objects follow, each with `internal.config.kubernetes.io/path` set to the output
folder's layout (`models/iris-predictor.deployment.yaml`), which kpt uses as the file to write. kpt
deletes the file of any item a function leaves out, which is why nothing else is dropped. On an error:
exit 1, `results`, and the input items exactly as they came.
"""

from __future__ import annotations

import os
from typing import IO

from compiler.diagnostics import Diagnostic, ObjectRef, Severity, error, has_errors, sorted_diagnostics
from compiler.document import Document
from compiler.doors import function
from compiler.doors.function_config import STDIN, options
from compiler.doors.items import LEGACY_PATH, PATH, Disk, annotation, documents, echo, item_positions
from compiler.emit.dump import dump_item
from compiler.settings import Limits
from compiler.sources.parse import parse
from compiler.sources.walk import SourceFile

# Codes (KSC7xx: KRM and hosts)
BAD_INPUT = "KSC701"            # stdin is not a ResourceList (or not YAML at all)

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")


def _read_resource_list(raw: bytes) -> tuple[Document | None, list[Diagnostic]]:
    """The ResourceList as one Document. Node and depth limits scale with the input, so aliases can at
    most double its size, while a 10,000-item list still loads."""
    defaults = Limits()
    limits = Limits(file_bytes=defaults.file_bytes, depth=defaults.depth + 2,
                    nodes=max(defaults.nodes, len(raw)), documents=defaults.documents)
    loaded = parse(raw, SourceFile(None, STDIN, STDIN, True), limits=limits)
    diags = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if diags:
        return None, diags
    docs = loaded.documents
    if len(docs) != 1 or docs[0].kind != "ResourceList" or docs[0].api_version not in RESOURCE_LIST_VERSIONS:
        found = "it is empty" if not docs else f"it holds {len(docs)} documents" if len(docs) > 1 else \
            f"it holds a {docs[0].api_version} {docs[0].kind}"
        return None, [error(BAD_INPUT, f"stdin must hold one config.kubernetes.io/v1 ResourceList; {found}",
                            file=STDIN, hint="kserve-compiler krm is run by kpt or kustomize; to compile files, "
                                             "use kserve-compiler build")]
    items = docs[0].data.get("items")
    if items is not None and not isinstance(items, list):
        return None, [error(BAD_INPUT, "ResourceList items must be a list", **docs[0].where(("items",)))]
    return docs[0], []


def run(stdin: bytes, stdout: IO[str], stderr: IO[str]) -> int:
    """`kserve-compiler krm`: a ResourceList on stdin, a ResourceList on stdout; the exit code."""
    rl, diags = _read_resource_list(stdin)
    if rl is None:
        return _finish(function.Run(diags), [], stdout, stderr)
    items = rl.data.get("items") or []
    function_config = rl.data.get("functionConfig")
    opts, opt_diags = options(function_config, where=_config_where(function_config))
    if has_errors(opt_diags):
        return _finish(function.Run(opt_diags), items, stdout, stderr)
    docs, item_diags = documents(items, item_positions(rl.positions), Disk())
    section = "data" if isinstance(function_config, dict) and function_config.get("kind") == "ConfigMap" else "spec"
    krm_run = function.compile_items(opts, docs, root=None, allow_empty=True, annotate=True, diags=opt_diags + item_diags,
                       config_where=_config_where(function_config), config_section=section)
    if krm_run.failed or krm_run.internal_error:
        return _finish(krm_run, items, stdout, stderr)
    return _finish(krm_run, echo(items, docs), stdout, stderr, generated=krm_run.new)


def _config_where(function_config: object) -> dict:
    if not isinstance(function_config, dict):
        return {"file": STDIN}
    path = annotation(function_config, PATH, LEGACY_PATH)
    where = {"file": path or STDIN}
    meta = function_config.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if function_config.get("kind") and function_config.get("apiVersion"):
        where["object"] = ObjectRef(str(function_config["apiVersion"]), str(function_config["kind"]),
                                    name if isinstance(name, str) else None)
    return where


def _finish(run: function.Run, items: list, stdout: IO[str], stderr: IO[str], generated: list[str] = ()) -> int:
    """The ResourceList, assembled from dumped items: the echoed ones in double-quote style (they are
    the user's files), the generated ones as emit dumped them (as `build -o` writes them)."""
    texts = [dump_item(item) for item in items] + list(generated)
    parts = [f"apiVersion: {RESOURCE_LIST_VERSIONS[0]}\nkind: ResourceList\n",
             "items:\n" if texts else "items: []\n", *(_list_item(text) for text in texts)]
    results = [_result(d) for d in sorted_diagnostics(run.diagnostics)]
    if results:
        parts.append(dump_item({"results": results}))
    function.report(run, stderr)
    stdout.write("".join(parts))
    stdout.flush()
    return function.exit_code(run)


def _list_item(text: str) -> str:
    """A dumped mapping as an entry of a block sequence: `- ` and every further line indented by two
    (an empty line inside a literal block needs no indentation)."""
    first, *rest = text.splitlines(keepends=True)
    return "- " + first + "".join("  " + line if line.strip("\n") else line for line in rest)


_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "info"}


def _result(d: Diagnostic) -> dict:
    """A Diagnostic as a KRM v1 result: field needs resourceRef, resourceRef needs a name (the spec)."""
    out: dict = {"message": d.message + (f" (hint: {d.hint})" if d.hint else ""), "severity": _SEVERITY[d.severity]}
    if d.object is not None and d.object.name:
        out["resourceRef"] = d.object.to_dict()
        if d.field:
            out["field"] = {"path": d.field}
    if d.file and d.file != STDIN:
        out["file"] = {"path": d.file.replace(os.sep, "/"), "index": d.index or 0}
    tags = {"code": d.code}
    if d.line:
        tags["line"] = str(d.line)
        if d.column:
            tags["column"] = str(d.column)
    out["tags"] = tags
    return out
