"""`build -o OUT --cache DIR` (issue 17): the output folder built from the previous one. The door calls
`compile()` here instead of incremental.compile(); OUT, the report and the exit code are those of a build
without the cache, byte for byte (tests/properties/test_cache_properties.py).

After each folder build the cache keeps a *record* of OUT (cache.Manifest, one entry per OUT path): every
file's path, (inode, size, mtime) right after it was written and the SHA-256 of its text; for each source
file, its key, what the report needs of it (documents, diagnostics, per-object annotations) and the paths of
its outputs. The next build of that OUT, when the settings and the context (every non-isolated file) are
unchanged:

1. takes the unchanged InferenceService files' report share from the record (one file read instead of one
   entry per source file, and no output texts), and compiles the rest as incremental.py does;
2. places the new objects among the kept ones (layout.place_more: the collisions and file names a full
   layout would give, or a full layout when a kept object's file name could change);
3. writes the folder with hard links to OUT's unchanged files (emit/fill.py: only a file whose path, digest
   and recorded stat all match is linked, and one written in the previous build's last clock tick only if
   its content still has the digest; any other is written from its text, which the cache holds), then
   swaps it in (Decision 4) and removes the old folder, so every file ends with one link.

A damaged or foreign record is ignored with a notice (KSC126) and OUT is written in full.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from compiler import cache, fork, incremental, pipeline
from compiler.diagnostics import Diagnostic
from compiler.emit import Output, changed, layout, outdir
from compiler.emit.fill import Reused, TextUnavailable
from compiler.settings import Settings
from compiler.sources import cache as store_mod


@dataclass
class Folder:
    run: incremental.Run
    out: str                                   # OUT's absolute path
    key: str                                   # its record's key
    record: cache.Manifest | None              # what the previous build of OUT recorded
    files: dict[str, str | Reused] = field(default_factory=dict)
    owners: dict[str, list[str]] = field(default_factory=dict)  # source file -> its outputs' paths, in order
    bases: dict[str, str | int] = field(default_factory=dict)   # as cache.Manifest.bases
    objects: dict[str, str | Reused] = field(default_factory=dict)  # the object files of `files`
    checking: fork.Started | None = None        # changed.on_disk(OUT, the record), in a child meanwhile
    _entries: dict[str, cache.Entry | None] = field(default_factory=dict)
    _where: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def result(self) -> pipeline.Result:
        return self.run.result

    @property
    def emitted(self) -> int:
        return len(self.result.outputs) + sum(len(self._recorded(i).paths) for i in self.run.light)

    def _recorded(self, i: int) -> cache.Source:
        return self.record.sources[self.run.files[i].display]

    # -----------------------------------------------------------------------------------------------
    # Layout

    def layout(self, default_namespace: str) -> tuple[dict[str, str | Reused], list[Diagnostic]]:
        """OUT's files ({path: text or Reused}) and the layout's diagnostics, as layout.layout() gives them."""
        if self.run.light and self._place_more(default_namespace):
            return self.files, []
        return self._full(default_namespace)

    def _place_more(self, default_namespace: str) -> bool:
        record, run = self.record, self.run
        reused: set[str] = set()
        for i in sorted(run.light):
            source = self._recorded(i)
            self.owners[run.files[i].display] = source.paths
            reused.update(source.paths)
        files, text, bases = record.files, self._text, record.bases
        kept = {path: Reused(files[path].sha, text) for path in bases if path in reused}  # in path order
        gone = [path for path in bases if path not in reused]
        single = {path.casefold() for path, base in bases.items() if base == 1}  # alone in their base key
        qualified = Counter(base for base in bases.values() if base != 1)
        folded = single | {path.casefold() for path, base in bases.items() if base != 1}
        gone_folded = {path.casefold() for path in gone}

        def before(base: str) -> int:  # objects of the previous plan with this base key
            return qualified.get(base, 0) + (base in single)

        removed = Counter(path.casefold() if bases[path] == 1 else bases[path] for path in gone)
        outputs = run.result.outputs
        paths = layout.place_more(outputs, default_namespace, lambda f: f in folded and f not in gone_folded,
                                  before, removed)
        if paths is None:
            self.owners = {}
            return False
        self.bases = {path: bases[path] for path in kept}
        for path, out, origin in zip(paths, outputs, run.result.origins):
            self.owners.setdefault(origin, []).append(path)
            self.bases[path] = _base(out, path)
        changed = {p.partition("/")[0] for p in paths} | {p.partition("/")[0] for p in gone}

        def unchanged(folder: str) -> Reused | None:
            old = None if folder in changed else files.get(f"{folder}/{layout.KUSTOMIZATION}")
            return None if old is None else Reused(old.sha, text)

        kept.update(zip(paths, layout.texts(outputs)))
        self.objects = kept
        self.files = layout.complete(kept, unchanged)
        return True

    def _full(self, default_namespace: str, *, compile_again: bool = False) -> tuple[dict, list[Diagnostic]]:
        """layout.layout() over every output, with the light files' outputs loaded from their entries (or
        everything compiled again, when one cannot be loaded)."""
        run = self.run
        outputs, origins = list(run.result.outputs), list(run.result.origins)
        for i in sorted(run.light):
            entry = None if compile_again else self._entry(self._recorded(i).key)
            if entry is None or len(entry.outputs) != len(self._recorded(i).paths):
                self.run = incremental.run(run.settings)  # the same result, with every output's text
                return self._full(default_namespace)
            outputs += entry.outputs
            origins += [run.files[i].display] * len(entry.outputs)
        placed, diags = layout.plan(outputs, default_namespace)
        if diags:
            return {}, diags
        path_of = {id(out): path for path, out in placed.items()}
        self.owners, self.bases = {}, {}
        for out, origin in zip(outputs, origins):
            self.owners.setdefault(origin, []).append(path_of[id(out)])
        for path, out in placed.items():
            self.bases[path] = _base(out, path)
        self.files = layout.render(placed)
        return self.files, []

    def _text(self, path: str) -> str | None:
        """The text of a file left out (Reused), when OUT's copy cannot be linked: a folder's
        kustomization.yaml rendered again, an object's from its source file's entry."""
        if path.endswith("/" + layout.KUSTOMIZATION):
            return layout.kustomization_of(self.objects, path.rpartition("/")[0])
        if not self._where:  # path -> (its source's key, its place among the source's outputs)
            self._where = {p: (self.record.sources[display].key, n) for display, paths in self.owners.items()
                           if display in self.record.sources for n, p in enumerate(paths)}
        if path not in self._where:
            return None
        key, n = self._where[path]
        entry = self._entry(key)
        return entry.outputs[n].text if entry is not None and n < len(entry.outputs) else None

    def _entry(self, key: str) -> cache.Entry | None:
        if key not in self._entries:
            self._entries[key] = self.run.store.get(key)
        return self._entries[key]

    # -----------------------------------------------------------------------------------------------
    # Writing and recording

    def write(self, out: Path, default_namespace: str, *, force: bool, swapped=None) -> list[Diagnostic]:
        """outdir.write() with the record's files to link from; then the new record. OutputError and
        `swapped` as outdir.write()."""
        previous = self.record.files if self.record is not None else None
        racy = self.record.written if self.record is not None else 0
        disk = self.checking.result if self.checking is not None else None
        try:
            return outdir.write(out, self.files, force=force, previous=previous, racy_after=racy,
                                meanwhile=self._save, swapped=swapped, disk=disk)
        except TextUnavailable:  # a reused file could be neither linked nor read from the cache
            self._full(default_namespace, compile_again=True)
            return outdir.write(out, self.files, force=force, previous=previous, racy_after=racy,
                                meanwhile=self._save, swapped=swapped)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the check of OUT if it is still running (a build that writes nothing)."""
        if self.checking is not None:
            self.checking.cancel()

    def _save(self, records, written: int) -> list[Diagnostic]:
        store = self.run.store
        if store is None:
            return []
        before = len(store.diagnostics)
        store.put(self.key, self._manifest(records, written), cache.encode_manifest)
        return store.diagnostics[before:]

    def _manifest(self, records, written: int) -> cache.Manifest:
        run = self.run
        sources = {}
        for i, (source, key) in enumerate(zip(run.files, run.keys)):
            if key is None:
                continue
            paths = self.owners.get(source.display, [])
            recorded = self._recorded(i) if i in run.light else None
            if recorded is not None:  # as recorded: its entry is written back without being encoded again
                sources[source.display] = recorded if recorded.paths == paths else replace(recorded, paths=paths,
                                                                                            line=None)
            else:
                entry = run.entries.get(i) or cache.Entry(isolated=False)
                sources[source.display] = cache.Source(key, replace(entry, outputs=[]), paths)
        return cache.Manifest(self.out, run.skey, run.context, sources, records, self.bases, written)


def _base(out: Output, path: str) -> str | int:
    base = layout.base_key(out, path.partition("/")[0])
    return 1 if base == path.casefold() else base


def compile(settings: Settings, out: Path) -> Folder | None:
    """incremental.compile() for `build -o OUT`, using and keeping OUT's record; None when the cache does
    not apply (no cache, stdin...): the door then builds as without one."""
    if not incremental.usable(settings):
        return None
    where = os.path.abspath(out)
    key = cache.manifest_key(where)
    store = store_mod.Store(settings.cache_dir)
    record = store.get(key, cache.decode_manifest, "the output folder was written in full")
    if record is not None and record.out != where:
        record = None
    # OUT against its record, in a child while this process compiles: 43,000 stat() calls, 0.18 s here
    checking = fork.start(lambda: changed.on_disk(where, record.files, record.written)) if record else None
    try:
        return Folder(incremental.run(settings, record, store), where, key, record, checking=checking)
    except BaseException:
        if checking is not None:
            checking.cancel()
        raise
