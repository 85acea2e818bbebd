"""The KRM function's parameters (docs/design.md Decision 10): a functionConfig that is a ConfigMap (`data`,
strings) or a KServeCompile (`spec`), read into Options; an unknown key is an error with a did-you-mean.
Paths in it are confined to the package (or kustomization) root.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass

from compiler.diagnostics import Diagnostic, error
from compiler.document import Positions

# Codes (KSC7xx: KRM and hosts)
BAD_FUNCTION_CONFIG = "KSC702"  # functionConfig / plugin config: wrong kind, unknown key, bad value

STDIN = "-"


@dataclass(frozen=True)
class Options:
    """The function's parameters: a ConfigMap's `data` (strings) or a KServeCompile's `spec`."""
    default_namespace: str = "default"
    paths: tuple[str, ...] = ()       # generator mode: sources read from disk, relative to cwd
    catalog: str = "builtin"
    config: str | None = None         # an inferenceservice-config file, relative to cwd
    kubernetes_version: str | None = None
    strict: bool = False
    allow_empty: bool | None = None   # None: the mode's default (KRM allows empty, the exec plugin not)
    storage_injection: str = "pod"


_KEYS = {"defaultNamespace": "default_namespace", "paths": "paths", "catalog": "catalog", "config": "config",
         "kubernetesVersion": "kubernetes_version", "strict": "strict", "allowEmpty": "allow_empty",
         "storageInjection": "storage_injection"}
_BOOLEANS = {"strict", "allow_empty"}
_CHOICES = {"storage_injection": ("pod", "webhook")}


def options(function_config: object, *, where: dict | None = None, positions: Positions | None = None
            ) -> tuple[Options, list[Diagnostic]]:
    """Options from a functionConfig (None, a ConfigMap or a KServeCompile); unknown keys are errors.
    `where` places the diagnostics (file, object); `positions`, when the file is the user's, the lines."""
    if function_config is None:
        return Options(), []
    where = where or {}
    if not isinstance(function_config, dict):
        return Options(), [error(BAD_FUNCTION_CONFIG, "functionConfig is not an object", **where)]
    kind = function_config.get("kind")
    if kind == "ConfigMap":
        section = "data"
    elif kind == "KServeCompile":
        section = "spec"
    else:
        return Options(), [error(BAD_FUNCTION_CONFIG, f"functionConfig is a {kind or 'object without kind'}; "
                                 "kserve-compiler takes a ConfigMap (data) or a KServeCompile (spec)", **where)]
    values = function_config.get(section) or {}
    if not isinstance(values, dict):
        return Options(), [error(BAD_FUNCTION_CONFIG, f"functionConfig {section} must be a mapping",
                                 **where, field=section)]
    fields: dict = {}
    diags: list[Diagnostic] = []
    for key, value in values.items():
        at = {**where, "field": f"{section}.{key}"}
        if positions is not None:
            at["line"], at["column"] = positions.of_key((section, key))
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), list(_KEYS), n=1)
            diags.append(error(BAD_FUNCTION_CONFIG, f'unknown functionConfig key "{key}"', **at,
                               hint=f'did you mean "{close[0]}"?' if close else
                               "the keys are " + ", ".join(_KEYS)))
            continue
        name = _KEYS[key]
        converted, problem = _convert(name, value)
        if problem:
            diags.append(error(BAD_FUNCTION_CONFIG, f"functionConfig {key}: {problem}", **at))
        else:
            fields[name] = converted
    return Options(**fields), diags


def _convert(name: str, value: object) -> tuple[object, str | None]:
    if name in _BOOLEANS:
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true", None
        return None, f"must be true or false, not {value!r}"
    if name == "paths":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(p, str) for p in items):
            return None, "must be a list of paths (or, in a ConfigMap, a comma-separated string)"
        paths = tuple(p.strip() for p in items if p.strip())
        if STDIN in paths:
            return None, "stdin (-) is the ResourceList itself; name files or folders"
        return paths, None
    if not isinstance(value, str) or not value:
        return None, f"must be a non-empty string, not {value!r} (quote a version: \"1.32\")"
    if name in _CHOICES and value not in _CHOICES[name]:
        return None, f"must be one of {', '.join(_CHOICES[name])}, not {value!r}"
    return value, None


def under(root: str | None, path: str) -> str | None:
    """A functionConfig path, relative to the kustomization root when kustomize names one, else to the
    working directory; None when it is absolute or leaves that root. A package must not make us read
    (and kpt then write into it) files from elsewhere: kustomize's LoadRestrictionsRootOnly, for us."""
    base = os.path.realpath(root or os.getcwd())
    if os.path.isabs(path):
        return None
    target = os.path.realpath(os.path.join(base, path))
    if target != base and not target.startswith(base + os.sep):
        return None
    return os.path.relpath(target)


def outside_root(opts: Options, root: str | None, where: dict | None, section: str) -> list[Diagnostic]:
    refused = [(key, value) for key, values in (("paths", opts.paths), ("config", [opts.config] if opts.config
                                                                           else [])) for value in values
               if under(root, value) is None]
    return [error(BAD_FUNCTION_CONFIG, f"{key} {value!r} is outside the {'kustomization' if root else 'package'} "
                  "root; kserve-compiler reads only what is inside it", **{**(where or {"file": STDIN}),
                                                                          "field": f"{section}.{key}"},
                  hint="copy or link the sources into the root, or run `kserve-compiler build` on them instead")
            for key, value in refused]
