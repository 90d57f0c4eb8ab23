-- finetune-ls for Neovim 0.11+: save as ~/.config/nvim/lsp/finetune_ls.lua (nvim-lspconfig's
-- form) and add vim.lsp.enable("finetune_ls") to init.lua. Neovim 0.11 knows *.jsonl as "jsonl".
return {
  cmd = { "finetune-ls", "serve" },
  filetypes = { "jsonl" },
  root_markers = { ".git" },
  init_options = { model = "gpt-4o-mini-2024-07-18" },
  on_attach = function(_, bufnr)
    -- Token counts per example (inlay hints) and the cost lens are off until asked for.
    vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave" }, {
      buffer = bufnr,
      callback = function() vim.lsp.codelens.refresh({ bufnr = bufnr }) end,
    })
  end,
}
