"""The `--config FILE` (or KRM `config`) ConfigMap: read at the edge, a usage error (exit 2) when it is not one
usable inferenceservice-config, since a bad setting is not a problem of the sources."""

from __future__ import annotations

from pathlib import Path

from compiler import config as config_mod
from compiler.diagnostics import SETTING, Severity, UsageError
from compiler.settings import Settings
from compiler.sources.parse import load
from compiler.sources.walk import SourceFile

BAD_CONFIG_FILE = "KSC003"  # UsageError: the config_file setting names no usable ConfigMap


def read_config_file(settings: Settings) -> config_mod.Config:
    path = Path(settings.config_file)
    if not path.is_file():
        raise UsageError(f"{SETTING} {settings.config_file!r} is not a file", code=BAD_CONFIG_FILE, setting="config_file")
    loaded = load([SourceFile(path, settings.config_file, path.name, True)], limits=settings.limits,
                  origin="config")
    docs = [d for d in loaded.documents if config_mod.is_config(d)]
    problems = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if problems or len(docs) != 1:
        first = problems[0].message if problems else f"it must hold exactly one ConfigMap named " \
                                                     f"{config_mod.CONFIG_NAME}"
        raise UsageError(f"{SETTING} {settings.config_file}: {first}", code=BAD_CONFIG_FILE, setting="config_file")
    cfg, diags = config_mod.from_configmap(docs[0])
    if cfg is None:
        raise UsageError(f"{SETTING} {settings.config_file}: {diags[0].message}", code=BAD_CONFIG_FILE,
                         setting="config_file")
    return cfg
