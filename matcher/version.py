"""The package version, importable without loading the package's readers."""

__version__ = "0.1.0"
