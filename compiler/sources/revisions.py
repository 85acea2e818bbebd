"""Reading a git revision of the repo that holds the sources, for `diff` (issue 16), without touching the
user's work tree or index: `git archive` of one commit, unpacked into a temporary folder. Only git's object
store is read (GIT_OPTIONAL_LOCKS=0: not even the index's stat cache is refreshed).

What a revision holds is what `git archive` gives: tracked files as committed, without submodules, and
without paths marked `export-ignore` in .gitattributes.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from compiler.diagnostics import UsageError

# Codes (KSC0xx: command line)
NOT_A_REPO = "KSC040"     # a revision was named, but the current folder is not inside a git work tree
BAD_REVISION = "KSC041"   # git does not know the revision (or it names no commit)
NO_GIT = "KSC042"         # git is not on PATH, or failed reading the repository

_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


@dataclass(frozen=True)
class Checkout:
    root: Path      # the work tree's top level
    prefix: str     # the current folder relative to it ("" at the top), POSIX


def _git(args: list[str], cwd: Path, *, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                              env={**os.environ, **_ENV}, check=False)
    except FileNotFoundError:
        raise UsageError("git is not on PATH; diff needs it to read a revision", code=NO_GIT,
                         hint="install git, or compare two folders: kserve-compiler diff OLD_DIR NEW_DIR") from None


def locate(cwd: Path) -> Checkout:
    """The git work tree the current folder is in."""
    done = _git(["rev-parse", "--show-toplevel", "--show-prefix"], cwd)
    if done.returncode != 0:
        raise UsageError(f"{cwd} is not inside a git work tree, so a revision cannot be read",
                         code=NOT_A_REPO, hint="run diff inside the repository, or compare two folders: "
                                               "kserve-compiler diff OLD_DIR NEW_DIR")
    top, prefix = (done.stdout.decode() + "\n").split("\n")[:2]
    return Checkout(Path(top), prefix.rstrip("/"))


def commit_of(checkout: Checkout, revision: str) -> str:
    """The commit a revision names (a branch, tag, `HEAD~2`, a hash)."""
    if revision.startswith("-"):  # never an option to git
        raise UsageError(f"{revision!r} is not a revision", code=BAD_REVISION)
    done = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], checkout.root)
    if done.returncode != 0:
        raise UsageError(f"git knows no commit {revision!r} in {checkout.root}", code=BAD_REVISION,
                         hint="name a branch, tag or commit (git log --oneline shows them), or an existing folder")
    return done.stdout.decode().strip()


def export(checkout: Checkout, commit: str, dest: Path) -> Path:
    """Unpack `commit` into `dest` (which must exist); returns the folder matching the current one in it."""
    proc = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=checkout.root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **_ENV})
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                try:
                    archive.extract(member, dest, filter="data")
                except tarfile.FilterError:
                    continue  # a link pointing out of the tree: a source walk would not follow it either
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.wait() != 0:
            raise UsageError(f"git archive {commit[:12]} failed: {err.strip()}", code=NO_GIT)
    return dest / checkout.prefix if checkout.prefix else dest
