-- Run after Neovim has loaded the README's setup (as the user's config) and opened a broken
-- file: reports what the user would see, as JSON, for tests/editors/test_readme_setups.py.
-- FTLS_LINE: the 0-based line of the broken example; FTLS_EXPECT: how many diagnostics the
-- CLI finds; FTLS_OUT: where the report goes.
local line = tonumber(os.getenv("FTLS_LINE"))
local expect = tonumber(os.getenv("FTLS_EXPECT"))
local bufnr = vim.api.nvim_get_current_buf()
local report = { version = tostring(vim.version().major) .. "." .. tostring(vim.version().minor) }

local function clients()
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = bufnr }) end
  return vim.lsp.buf_get_clients(bufnr)
end

local function diagnostics()
  local seen = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    -- As the LSP diagnostic it came from (0.7 keeps only some fields of it in user_data).
    local lsp = vim.tbl_extend("keep", d.user_data and d.user_data.lsp or {}, {
      range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
      message = d.message, severity = d.severity, source = d.source, code = d.code,
    })
    table.insert(seen, { code = d.code or lsp.code, line = d.lnum + 1, lsp = lsp })
  end
  return seen
end

local function has_code(code)
  for _, d in ipairs(diagnostics()) do
    if d.code == code then return true end
  end
  return false
end

local function finish()
  report.filetype = vim.bo[bufnr].filetype
  local handle = io.open(os.getenv("FTLS_OUT"), "w")
  handle:write(vim.fn.json_encode(report))
  handle:close()
  for _, client in pairs(clients()) do vim.lsp.stop_client(client.id) end
  vim.wait(2000, function() return #vim.tbl_keys(clients()) == 0 end, 50)
  vim.cmd("qa!")
end

report.attached = vim.wait(20000, function() return #vim.tbl_keys(clients()) > 0 end, 50)
if not report.attached then finish() return end
vim.wait(20000, function() return #diagnostics() >= expect end, 50)
report.diagnostics = {}
for _, d in ipairs(diagnostics()) do table.insert(report.diagnostics, { d.code, d.line }) end

local position = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = line, character = 1 } }
local hover = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", position, 10000) or {}
for _, answer in pairs(hover) do
  if answer.result then report.hover = answer.result.contents.value end
end

-- The code actions Neovim asks for at the line, with the line's diagnostics as context.
local context = {}
for _, d in ipairs(diagnostics()) do
  if d.line == line + 1 then table.insert(context, d.lsp) end
end
local range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = 0 } }
local asked = { textDocument = position.textDocument, range = range, context = { diagnostics = context } }
local actions = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", asked, 10000) or {}
report.actions = {}
for _, answer in pairs(actions) do
  for _, action in ipairs(answer.result or {}) do
    table.insert(report.actions, { title = action.title, kind = action.kind })
    if action.kind == "quickfix" and action.title:find("assistant") and action.edit and not report.applied then
      vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
      report.applied = action.title
    end
  end
end
report.fixed = vim.wait(20000, function() return not has_code("unknown-role") end, 50)

-- The cost lens: shown from the refresh on attach, and refreshed on InsertLeave after an edit.
local function lenses()
  local titles = {}
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
    table.insert(titles, lens.command and lens.command.title or "")
  end
  return titles
end
local function lens_wait(pattern)
  vim.wait(10000, function()
    for _, title in ipairs(lenses()) do
      if title:find(pattern) then return true end
    end
    return false
  end, 50)
  return lenses()
end
report.lenses = lens_wait("^Model:")
vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] })
vim.cmd("doautocmd InsertLeave")
report.lenses_after_edit = lens_wait("^14 examples")

if vim.lsp.inlay_hint then -- 0.10+
  report.hints_enabled = vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr })
  vim.wait(20000, function() return #vim.lsp.inlay_hint.get({ bufnr = bufnr }) > 0 end, 50)
  report.hints = #vim.lsp.inlay_hint.get({ bufnr = bufnr })
end
finish()
