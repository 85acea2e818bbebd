"""The front doors: the command line (cli), Argo CD's environment, the KRM function and the kustomize
exec plugin. Each only translates its input to Settings and the Result to its output."""
