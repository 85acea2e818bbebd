"""Schemas: ours for KServe (kserve.py), users' CRDs (crd.py), Kubernetes' for emitted objects
(kubernetes.py), and the files kubernetes-validate bundles (bundle.py)."""
