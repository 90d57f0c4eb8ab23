"""Data preparation before a job: convert the data people have into training files, then
split, dedupe, stats and redact. Pure functions, free of LSP and network code; the CLI
(cli/convert.py, cli/hygiene.py) and the editor commands (lsp/commands/prep.py,
lsp/commands/hygiene.py) are thin layers over them."""
