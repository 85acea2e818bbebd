"""`python -m compiler` is the same program as the `kserve-compiler` console script."""

from compiler.doors.cli import entry

if __name__ == "__main__":
    entry()
