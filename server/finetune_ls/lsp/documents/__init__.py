"""Open documents and their checks: the state the server keeps for each file.

A document held as lines and edited line by line (document.py, compact_lines.py), its check
kept in step with edits (state.py), findings turned into diagnostics and back (convert.py), and
the machinery for big files: loading in the background with the first findings first (load.py),
checking lines while the client still sends them (streaming.py), worker processes
(workers.py, worker_preload.py), files checked from disk (disk_check.py), memory given back
(memory.py).

May import: finetune_ls.core, wire/, and the server (lsp/server.py) for the handlers load.py
registers. Never features/ or commands/.
"""
