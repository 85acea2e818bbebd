"""`python -m compiler` is the same program as the `kserve-compiler` console script."""

from compiler.doors.cli import main

if __name__ == "__main__":
    main()
