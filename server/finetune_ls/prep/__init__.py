"""Dataset preparation before a job: split, dedupe, stats, redact. Pure functions over a
file's lines, free of LSP and network code; the CLI (cli/hygiene.py) and the editor
commands (lsp/hygiene_commands.py) are thin layers over them."""
