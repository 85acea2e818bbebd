"""kserve-compiler: an offline GitOps compiler for KServe model serving."""

__version__ = "0.1.0"

# The KServe release whose behaviour we reproduce (docs/kserve-behaviour.md §0).
KSERVE_VERSION = "v0.20.0"
