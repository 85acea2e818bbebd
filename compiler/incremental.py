"""Warm rebuilds (issue 17): `pipeline.compile()` with the cache of `--cache DIR` / KSC_CACHE_DIR. The doors
call `compile()` here instead of the pipeline's when a cache is set; the result is the one the pipeline
would give (the objects, their YAML, every diagnostic), with the unchanged files' share taken from the cache.

How (compiler/cache.py has the keys):
1. Walk the sources as the pipeline does, read and hash every file, look up each file's entry.
2. A file holding only InferenceServices is *isolated*: its objects and diagnostics depend only on its
   own bytes, the settings and the *context* (every non-isolated file). Such a file is reused when its
   entry was made under the current context. Everything else is compiled again, with one reused file
   (the anchor) so that run-wide facts that need "some InferenceService" come out as in a full build.
3. When the context changed (a runtime, the config, a Secret...), when a compiled file turns out to
   change the context, when the compiled part has any error, or when an InferenceService's name now
   appears twice, the whole build is compiled without the cache: errors and cross-file problems always
   come from a full build. Either way the entries of this build are written for the next one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from compiler import cache, kinds, pipeline
from compiler.constants import KSERVE_GROUP
from compiler.diagnostics import has_errors
from compiler.emit import DumpedOutput
from compiler.kinds import group_of
from compiler.schema.bundle import kubernetes_version
from compiler.settings import Settings
from compiler.sources import cache as store_mod
from compiler.sources.walk import SourceFile, collect

ISVC = "InferenceService"


@dataclass
class Run:
    """A compile with the cache, and what the folder build (compiler/warm.py) needs to record it."""
    result: pipeline.Result
    files: list[SourceFile] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    skey: str = ""
    context: str = ""
    entries: dict[int, cache.Entry] = field(default_factory=dict)  # the isolated files' entries, by file index
    light: set[int] = field(default_factory=set)  # reused from the folder's record: not in result.outputs
    store: store_mod.Store | None = None
    settings: Settings | None = None


def usable(settings: Settings) -> bool:
    return bool(settings.cache_dir) and settings.stdin is None and "-" not in settings.sources \
        and settings.resolve and settings.expand


def compile(settings: Settings) -> pipeline.Result:
    """pipeline.compile(settings), reusing and refreshing the cache in settings.cache_dir."""
    return run(settings).result if usable(settings) else pipeline.compile(settings)


def run(settings: Settings, light: cache.Manifest | None = None, store: store_mod.Store | None = None) -> Run:
    """compile() of a usable cache. `light`: the output folder's record, whose sources stand in for their
    entries (no output texts read); their outputs are then left out of result.outputs (Run.light)."""
    given = settings
    settings = replace(settings, kubernetes_version=kubernetes_version(settings.kubernetes_version))
    store = store or store_mod.Store(settings.cache_dir)
    files, walk_diags = collect(list(settings.sources), excludes=settings.excludes, skip=settings.skip)
    if len({f.display for f in files}) != len(files) or has_errors(walk_diags):
        result = pipeline.compile(settings)  # a file named twice, a missing source: left to the pipeline
        result.diagnostics += store.diagnostics
        return Run(result, settings=given, store=store)
    skey = store_mod.settings_key(settings)
    keys = [None if raw is None else cache.combine(skey, f.display, f.source, str(f.named), cache.digest(raw))
            for f, raw in zip(files, store_mod.read_sources(files))]
    recorded = light.sources if light is not None and light.settings == skey else {}
    entries = [_entry(store, k, recorded.get(f.display), light) for f, k in zip(files, keys)]
    context = _context(skey, keys, [e is None or e.isolated for e in entries])
    reusable = [e is not None and e.isolated and e.context == context for e in entries]
    stale = any(e is not None and e.isolated and e.context != context for e in entries)
    done = None
    if any(reusable) and not stale:
        done = _warm(settings, skey, files, keys, entries, reusable, context, store)
    if done is None:
        result = pipeline.compile(settings, files=files)
        fresh = {}
        if not result.failed():
            todo = range(len(files))
            isolated = _isolated(result, files, todo)
            context = _context(skey, keys, [isolated[i] for i in todo])
            fresh = _remember(result, files, keys, todo, context, store, isolated)
        done = Run(result, entries=fresh)
    done.result.diagnostics = walk_diags + done.result.diagnostics
    store.prune()
    done.result.diagnostics += store.diagnostics
    done.files, done.keys, done.skey, done.context, done.store = files, keys, skey, context, store
    done.settings = given
    done.light = {i for i, e in done.entries.items() if e is entries[i] and keys[i] in store.recorded}
    return done


def _entry(store, key: str | None, recorded: cache.Source | None, light) -> cache.Entry | None:
    """A file's entry: the folder record's (its outputs not loaded) when it was made from these bytes."""
    if key is None:
        return None
    if recorded is not None and recorded.key == key:
        store.used.add(key)  # kept by prune: its outputs' texts are the fallback of a failed link
        store.recorded.add(key)
        return replace(recorded.entry, context=light.context) if recorded.entry.isolated else recorded.entry
    return store.get(key)


def _context(skey: str, keys: list, isolated: list[bool]) -> str:
    """The context key: every file that is not isolated (an unreadable one included), by name and bytes."""
    return cache.combine(skey, *(str(k) for k, iso in zip(keys, isolated) if not iso))


def _warm(settings, skey, files, keys, entries, reusable, context, store) -> Run | None:
    """Compile the files that cannot be reused (and the anchor), then add the reused entries; None when a
    full build is needed instead (see the module's docstring)."""
    anchor = reusable.index(True)
    todo = [i for i, ok in enumerate(reusable) if not ok or i == anchor]
    work = pipeline.compile(settings, files=[files[i] for i in todo])
    if work.failed():
        return None
    isolated = _isolated(work, files, todo)
    known = [entries[i].isolated if entries[i] is not None else True for i in range(len(files))]
    for i in todo:
        known[i] = isolated[i]
    if _context(skey, keys, known) != context:
        return None
    reused = [i for i, ok in enumerate(reusable) if ok and i != anchor]
    if _duplicates(work, [entries[i] for i in reused], settings.default_namespace):
        return None
    stored = {i for i in todo if entries[i] is not None and not entries[i].isolated}  # runtimes, config...
    fresh = _remember(work, files, keys, todo, context, store, isolated, stored)
    return Run(_merge(work, files, {i: entries[i] for i in reused}, fresh), entries={**{i: entries[i] for i in reused},
                                                                                    **fresh})


def _isolated(result: pipeline.Result, files: list[SourceFile], todo) -> dict[int, bool]:
    """Which of the compiled files hold only InferenceServices (every document read from them)."""
    isvcs = Counter(d.file for d in result.documents if d.kind == ISVC and group_of(d.api_version) == KSERVE_GROUP)
    return {i: result.read_by_file.get(files[i].display, 0) == isvcs.get(files[i].display, 0) for i in todo}


def _duplicates(work: pipeline.Result, reused: list[cache.Entry], default_namespace: str) -> bool:
    names = Counter((d.ref.namespace or default_namespace, d.ref.name) for d in work.documents if d.kind == ISVC)
    names.update((d.ref.namespace or default_namespace, d.ref.name) for e in reused for d in e.documents)
    return any(n > 1 for n in names.values())


def _remember(result: pipeline.Result, files, keys, todo, context: str, store,
              isolated: dict[int, bool] | None = None, stored: set[int] = frozenset()) -> dict[int, cache.Entry]:
    """Write the entries of the compiled files `todo` (isolated: theirs, if already known; `stored`: files
    not isolated whose entry, which says only that, is in the store already); returns the isolated ones'
    entries, whose outputs (now dumped) replace the result's."""
    from compiler.emit.layout import texts as dumped_texts  # lazy: the dumper, only when writing
    if isolated is None:
        isolated = _isolated(result, files, todo)
    by_file: dict[str, list[int]] = {}
    for n, origin in enumerate(result.origins):
        by_file.setdefault(origin, []).append(n)
    wanted = [n for i in todo if isolated[i] for n in by_file.get(files[i].display, ())]
    texts = dict(zip(wanted, dumped_texts([result.outputs[n] for n in wanted])))  # a shard's texts are kept
    dumped = {n: DumpedOutput(result.outputs[n].obj, result.outputs[n].cluster_scoped, result.outputs[n].generated,
                              text) for n, text in texts.items()}
    result.outputs = [dumped.get(n, out) for n, out in enumerate(result.outputs)]
    fresh: dict[int, cache.Entry] = {}
    # Each file's documents, diagnostics and silenced annotations, grouped once: filtered per file, they cost
    # files x diagnostics (at N=50,000, 17,000 x 110,000 comparisons: most of a 155 s cold build).
    docs_of, diags_of, silenced_of = _by_file(result.documents), _by_file(result.diagnostics), \
        _by_file(result.silenced)
    for i in todo:
        if keys[i] is None:
            continue
        if not isolated[i]:
            if i not in stored:
                store.put(keys[i], cache.Entry(isolated=False))
            continue
        name = files[i].display
        entry = cache.Entry(
            isolated=True, context=context, read=result.read_by_file.get(name, 0),
            documents=[cache.DocStub(d.file, d.index, d.ref) for d in docs_of.get(name, ())],
            outputs=[dumped[n] for n in by_file.get(name, ())],
            diagnostics=list(diags_of.get(name, ())),
            silenced=list(silenced_of.get(name, ())))
        store.put(keys[i], entry)
        fresh[i] = entry
    return fresh


def _by_file(items) -> dict[str | None, list]:
    """`items` (anything with a .file) grouped by file, each group in the order given."""
    groups: dict[str | None, list] = {}
    for item in items:
        groups.setdefault(item.file, []).append(item)
    return groups


def _merge(work: pipeline.Result, files, reused: dict[int, cache.Entry], fresh: dict[int, cache.Entry]
           ) -> pipeline.Result:
    """The compiled part plus the reused entries, in the order a full build lists them: InferenceServices
    and their objects by file, then the pass-through objects."""
    isolated = {**reused, **fresh}
    first = {f.display: i for i, f in enumerate(files)}
    work_docs = [d for d in work.documents if first[d.file] not in isolated]
    consumed = [d for d in work_docs if d.kind in kinds.CONSUMED_KINDS
                and group_of(d.api_version) == KSERVE_GROUP]
    taken = {id(d) for d in consumed}
    passthrough = [d for d in work_docs if id(d) not in taken]
    docs, outputs, origins = [], [], []
    for i in sorted(isolated):
        docs += isolated[i].documents
    outs_by_file: dict[int, list] = {}
    for out, origin in zip(work.outputs, work.origins):
        if first[origin] not in isolated and out.generated:
            outs_by_file.setdefault(first[origin], []).append(out)
    for i, entry in isolated.items():
        outs_by_file[i] = entry.outputs
    for i in sorted(outs_by_file):
        outputs += outs_by_file[i]
        origins += [files[i].display] * len(outs_by_file[i])
    passed = [(out, origin) for out, origin in zip(work.outputs, work.origins) if not out.generated]
    work.documents = sorted(consumed + docs, key=lambda d: first[d.file]) + passthrough
    work.outputs = outputs + [out for out, _ in passed]
    work.origins = origins + [origin for _, origin in passed]
    work.diagnostics = work.diagnostics + [d for e in reused.values() for d in e.diagnostics]
    work.silenced = work.silenced + [s for e in reused.values() for s in e.silenced]
    work.read += sum(e.read for e in reused.values())
    work.files = [f.display for f in files]
    return work
