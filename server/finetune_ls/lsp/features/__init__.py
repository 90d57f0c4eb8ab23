"""Editor features on an open document, each a handler of an LSP request.

Quick fixes and fix-all (actions.py), completion, symbols and folding (editing.py), inlay hints,
hover and code lenses for tokens and costs (hints.py), ghost text from a fine-tuned model
(inline.py).

May import: finetune_ls.core, wire/, documents/, the server and its settings; inline.py also
commands.operations and commands.deployments (it calls the API as the commands do). Never
another feature.
"""
