-- finetune-ls for Neovim 0.7 to 0.10, in init.lua (0.11+: editors/nvim/lsp/finetune_ls.lua).
-- Started by file name: older Neovims (0.7 among them) have no "jsonl" filetype.
local servers = {} -- 0.7 has no vim.lsp.start: one server per folder, kept here
vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
  pattern = "*.jsonl",
  callback = function(args)
    local config = {
      name = "finetune-ls",
      cmd = { "finetune-ls", "serve" },
      root_dir = vim.fn.fnamemodify(args.file, ":p:h"),
      init_options = { model = "gpt-4o-mini-2024-07-18" },
      on_attach = function(_, bufnr)
        if vim.lsp.inlay_hint then -- 0.10+: token counts per example
          vim.lsp.inlay_hint.enable(true, { bufnr = bufnr })
        end
        vim.lsp.codelens.refresh() -- the cost lens, kept fresh below
        vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave" }, {
          buffer = bufnr,
          callback = function() vim.lsp.codelens.refresh() end,
        })
      end,
    }
    if vim.lsp.start then -- 0.8+
      vim.lsp.start(config)
      return
    end
    local id = servers[config.root_dir]
    if not (id and vim.lsp.get_client_by_id(id)) then
      id = vim.lsp.start_client(config)
      servers[config.root_dir] = id
    end
    vim.lsp.buf_attach_client(args.buf, id)
  end,
})
