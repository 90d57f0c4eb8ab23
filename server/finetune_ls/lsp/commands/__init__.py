"""Editor commands (`workspace/executeCommand`), one module per family.

The fine-tuning loop: files, jobs, models and trying a model (operations.py), Azure
deployments (deployments.py), what the catalog says about a model (catalog.py), data preparation
(prep.py: convert; hygiene.py: split, dedupe, redact), and new files made through workspace
edits (new_files.py). API calls go through finetune_ls.api, in a thread.

May import: finetune_ls.core and finetune_ls.api, wire/, documents/, the server and its
settings. Never features/.
"""
