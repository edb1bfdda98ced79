#!/usr/bin/env bash
# Puts the scripted agent where a sandbox-agent server whose HOME is $1 runs
# its "mock" agent from, after POST /v1/agents/mock/install (which writes its
# own shim there first; this replaces it). Usage:
#   install_scripted_agent.sh HOME [NODE]
set -euo pipefail
home="$1"
node="${2:-$(command -v node)}"
script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/scripted_agent.mjs"
dir="$home/.local/share/sandbox-agent/bin/agent_processes"
mkdir -p "$dir"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$node" "$script" >"$dir/mock-acp.tmp"
chmod +x "$dir/mock-acp.tmp"
mv "$dir/mock-acp.tmp" "$dir/mock-acp"
