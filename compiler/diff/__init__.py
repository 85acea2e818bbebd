"""`kserve-compiler diff` (issue 16), the pure part: what changes between two builds, and why.

snapshot.py  a compiled side reduced to plain, picklable data (so each side can compile in its own process)
compare.py   object-level differences: added, removed, changed (field paths), rollouts vs metadata-only
causes.py    why each InferenceService component changed (runtime re-selected and the rule, runtime or
             catalog edited, config keys, the InferenceService itself), reusing resolve's passed-over reasons
render.py    text, json, Markdown (compiler/templates/diff.md.j2) and GitHub annotations

Reading revisions (git) is an edge: compiler/sources/revisions.py; the command is compiler/doors/diff_command.py.
"""
