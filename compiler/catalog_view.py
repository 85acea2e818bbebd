"""`kserve-compiler catalog list | show NAME`: the built-in cluster objects, for people and tools."""

from __future__ import annotations

import json

from compiler.catalog import BAD_CATALOG, load_catalog
from compiler.diagnostics import UsageError
from compiler.document import Document
from compiler.emit.dump import dump


def documents(choice: str) -> list[Document]:
    docs, diags = load_catalog(choice)
    if diags:
        raise UsageError(f"the catalog {choice!r} does not load: {diags[0].file}: {diags[0].message}",
                         code=BAD_CATALOG)
    return sorted(docs, key=lambda d: (d.kind, d.name or ""))


def _formats(doc: Document) -> str:
    entries = (doc.data.get("spec") or {}).get("supportedModelFormats") or []
    shown = []
    for f in entries:
        text = f"{f.get('name')}:{f['version']}" if f.get("version") is not None else str(f.get("name"))
        flags = [flag for flag, on in (("auto", f.get("autoSelect") is True),
                                       (f"p{f.get('priority')}", f.get("priority") is not None)) if on]
        shown.append(f"{text}({','.join(flags)})" if flags else text)
    return " ".join(shown)


def _row(doc: Document) -> dict:
    spec = doc.data.get("spec") or {}
    containers = spec.get("containers") or [spec.get("container") or {}]
    return {"kind": doc.kind, "name": doc.name, "image": (containers[0] or {}).get("image"),
            "formats": _formats(doc), "protocols": spec.get("protocolVersions") or [],
            "disabled": spec.get("disabled") is True, "multiNode": "workerSpec" in spec}


def listing(docs: list[Document], fmt: str) -> str:
    rows = [_row(d) for d in docs]
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    width = max((len(r["name"] or "") for r in rows), default=4)
    lines = [f"{'NAME'.ljust(width)}  {'KIND'.ljust(23)}  {'PROTOCOLS'.ljust(16)}  FORMATS (auto = autoSelect, "
             "pN = priority)"]
    for r in rows:
        protocols = ",".join(r["protocols"]) or ("-" if r["kind"] != "ClusterServingRuntime" else "(any)")
        extra = " [multi-node]" if r["multiNode"] else ""
        lines.append(f"{(r['name'] or '').ljust(width)}  {r['kind'].ljust(23)}  {protocols.ljust(16)}  "
                     f"{r['formats'] or r['image'] or ''}{extra}")
    return "\n".join(lines) + "\n"


def show(docs: list[Document], name: str, fmt: str) -> str | None:
    found = [d for d in docs if d.name == name]
    if not found:
        return None
    if fmt == "json":
        return json.dumps(found[0].data, indent=2) + "\n"
    return f"# {found[0].file}\n" + dump(found[0].data)
