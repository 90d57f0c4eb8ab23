-- Drives Neovim as a real LSP client of finetune-ls (headless), for tests/editors/test_neovim.py.
-- Arguments come from the environment: FTLS_SERVER (the command, space separated), FTLS_FILE
-- (the file to open), FTLS_OUT (where to write what Neovim saw, as JSON).
local server = vim.split(os.getenv("FTLS_SERVER"), " ", { trimempty = true })
local file = os.getenv("FTLS_FILE")
local out = os.getenv("FTLS_OUT")

vim.cmd("edit " .. vim.fn.fnameescape(file))
local buffer = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "finetune-ls",
  cmd = server,
  root_dir = vim.fn.fnamemodify(file, ":h"),
  init_options = { model = "gpt-4o-mini-2024-07-18" },
})
vim.lsp.buf_attach_client(buffer, client_id)

local function seen()
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(buffer)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(items, { line = d.lnum, col = d.col, code = code, message = d.message, severity = d.severity })
  end
  return items
end

local function wait_for(predicate)
  return vim.wait(20000, function() return predicate(seen()) end, 50)
end

local function has(items, code, line)
  for _, d in ipairs(items) do
    if d.code == code and d.line == line then return true end
  end
  return false
end

local report = {}
report.opened = wait_for(function(items) return has(items, "unknown-role", 12) end)
report.after_open = seen()

-- Type in Neovim itself: rename the bad role on line 13 (index 12) to "assistant".
local text = vim.api.nvim_buf_get_lines(buffer, 12, 13, false)[1]
local start = text:find('"model"', 1, true)
vim.api.nvim_buf_set_text(buffer, 12, start, 12, start + 5, { "assistant" })
report.edited = wait_for(function(items) return not has(items, "unknown-role", 12) end)
report.after_edit = seen()

-- Insert a broken line at the top: every later finding moves down one line.
vim.api.nvim_buf_set_lines(buffer, 0, 0, false, { '{"messages":[{"role":"bot","content":"x"}]}' })
report.inserted = wait_for(function(items) return has(items, "unknown-role", 0) and has(items, "unknown-key", 13) end)
report.after_insert = seen()

local handle = io.open(out, "w")
handle:write(vim.fn.json_encode(report))
handle:close()
vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.tbl_isempty(vim.lsp.get_active_clients()) end, 50)
vim.cmd("qa!")
