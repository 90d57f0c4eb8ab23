"""Imported by the workers' forkserver before it forks: the encodings and schemas are
loaded once there, and every worker shares them."""

from finetune_ls.lsp.documents.workers import _prepare

_prepare()
