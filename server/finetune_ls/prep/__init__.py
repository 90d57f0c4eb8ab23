"""Data preparation: turn the data people have into training files (no LSP, no network)."""
