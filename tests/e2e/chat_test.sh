#!/usr/bin/env bash
# `sessionlog chat` against the real server with the scripted agent: piped
# (plain text, --permission, end of input), then on a terminal under tmux
# (transcript, permission asked, Ctrl-C cancelling a turn, Ctrl-C between
# turns quitting), then --resume; also --resume of a fork and of a rewound
# session. Needs SANDBOX_AGENT_BIN; tmux for the terminal part.
set -euo pipefail

runfiles="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-sessionlog}"
sessionlog="$runfiles/tools/sessionlog/sessionlog"
install_agent="$runfiles/tests/agent/install_scripted_agent.sh"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
: "${SANDBOX_AGENT_BIN:?pass --test_env=SANDBOX_AGENT_BIN=... (tools/scripts/services.sh sets it)}"

fail() { echo "FAIL: $*" >&2; exit 1; }

# node is needed anyway (the scripted agent); it stands in for curl here.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
http() {  # http METHOD URL [BODY]: the status code, or 000
  node -e 'fetch(process.argv[2],{method:process.argv[1],headers:{"content-type":"application/json"},body:process.argv[3]}).then(r=>console.log(r.status),()=>console.log("000"))' "$@"
}
home="$tmp/home"
mkdir -p "$home"
server_pid=""
start_server() {
  HOME="$home" setsid "$SANDBOX_AGENT_BIN" server --no-token --no-telemetry \
    --host 127.0.0.1 --port "$port" >>"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    [[ "$(http GET "http://127.0.0.1:$port/v1/health")" == 200 ]] && return 0
    sleep 0.05
  done
  cat "$tmp/server.log"; fail "server did not start"
}
stop_server() {
  [[ -n "$server_pid" ]] && kill -9 -- -"$server_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
tmux_session="chat-test-$$"
tmux_dir=$(mktemp -d /tmp/chat-test-tmux.XXXXXX)
tmux_socket="$tmux_dir/sock"
export TERM="${TERM:-xterm-256color}"
[[ "$TERM" == dumb ]] && export TERM=xterm-256color
tmux() { command tmux -S "$tmux_socket" "$@"; }
cleanup() {
  tmux kill-server 2>/dev/null || true
  rm -rf "$tmux_dir"
  stop_server
}
trap cleanup EXIT

start_server
[[ "$(http POST "http://127.0.0.1:$port/v1/agents/mock/install" '{}')" == 200 ]] ||
  fail "installing the mock agent failed"
bash "$install_agent" "$home"
url="http://127.0.0.1:$port"
db="rocksdb:$tmp/store"

# ---- Piped: plain text, one turn per line, exit 0 at the end of input.
out=$(printf 'hello there\npermission\n/mode plan\nmode auto\n' |
  "$sessionlog" --db "$db" chat --server "$url" --agent mock --id piped \
    --cwd /tmp --permission always)
echo "$out"
grep -qx 'echo: hello there' <<<"$out" || fail "no echo in: $out"
grep -q 'permission answer: result {"outcome":{"optionId":"yes-always","outcome":"selected"}}' <<<"$out" ||
  grep -q '"optionId":"yes-always"' <<<"$out" || fail "--permission always not used: $out"
! grep -q $'\033' <<<"$out" || fail "colour codes in piped output"

# Without --permission and without a terminal: the SDK's answer, cancelled.
out=$(printf 'permission\n' | "$sessionlog" --db "$db" chat --server "$url" --agent mock --id piped2)
grep -q '"outcome":"cancelled"' <<<"$out" || fail "expected cancelled: $out"

# The store has what the library stores: the record with the mode set by
# "/mode plan" and then "mode auto" (current_mode_update), and no initialize.
show=$("$sessionlog" --db "$db" show piped --json)
grep -q '"currentModeId":"auto"' <<<"$show" || fail "record modes not updated: $show"
events=$("$sessionlog" --db "$db" events piped --json --limit 1000)
! grep -q '"initialize"' <<<"$events" || fail "initialize stored"
grep -q '"session/set_mode"' <<<"$events" || fail "set_mode not stored"

# ---- fork, then chat --resume of the fork: like any resume, a new agent
# session that hears the replay of the forked history only, and a turn whose
# events follow the fork point. The source is not changed. Then the same for
# a rewound session.
printf 'alpha one\nbravo two\n' |
  "$sessionlog" --db "$db" chat --server "$url" --agent mock --id forksrc --cwd /tmp >/dev/null
src_events=$("$sessionlog" --db "$db" events forksrc --json --limit 1000)
# The end of the first turn: the first reply with a stopReason.
through=$(node -e '
  const events = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const end = events.find((e) => e.payload.result && e.payload.result.stopReason);
  console.log(end ? end.eventIndex : "none");' <<<"$src_events")
[[ "$through" =~ ^[0-9]+$ ]] || fail "no end of the first turn in: $src_events"
"$sessionlog" --db "$db" fork forksrc forked --through "$through" >/dev/null
# check_resumed ID OLD_EVENTS TEXT: ID's events up to $through are OLD_EVENTS'
# (payloads and indexes), then come session/new and one prompt whose first
# block replays turn 1 but not turn 2, and whose second is TEXT.
check_resumed() {
  "$sessionlog" --db "$db" events "$1" --json --limit 1000 |
    node -e '
      const [through, old, text] = [Number(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3]];
      const events = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const problems = [];
      events.forEach((e, i) => { if (e.eventIndex !== i + 1) problems.push(`index ${e.eventIndex} at ${i}`); });
      const kept = events.filter((e) => e.eventIndex <= through);
      const want = old.filter((e) => e.eventIndex <= through);
      if (JSON.stringify(kept.map((e) => e.payload)) !== JSON.stringify(want.map((e) => e.payload)))
        problems.push("the events up to the fork point differ");
      const added = events.filter((e) => e.eventIndex > through);
      if (!added.length || added[0].payload.method !== "session/new") problems.push("no session/new after the fork point");
      const prompts = added.filter((e) => e.payload.method === "session/prompt").map((e) => e.payload.params.prompt);
      if (prompts.length !== 1 || prompts[0].length !== 2) problems.push(`prompts: ${JSON.stringify(prompts)}`);
      else {
        if (!prompts[0][0].text.includes("alpha one")) problems.push("turn 1 not replayed");
        if (prompts[0][0].text.includes("bravo two")) problems.push("turn 2 replayed");
        if (prompts[0][1].text !== text) problems.push(`the prompt is ${prompts[0][1].text}`);
      }
      if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
    ' "$through" "$2" "$3" || fail "chat --resume $1: see above"
}
out=$(printf 'charlie three\n' | "$sessionlog" --db "$db" chat --server "$url" --resume forked)
grep -q 'with 1 earlier text block' <<<"$out" || fail "no replay in the fork's prompt: $out"
grep -q 'echo: charlie three' <<<"$out" || fail "the fork's turn: $out"
check_resumed forked "$src_events" "charlie three"
[[ "$("$sessionlog" --db "$db" events forksrc --json --limit 1000)" == "$src_events" ]] ||
  fail "the fork's source changed"
"$sessionlog" --db "$db" rewind forksrc --to "$through" >/dev/null
out=$(printf 'delta four\n' | "$sessionlog" --db "$db" chat --server "$url" --resume forksrc)
grep -q 'echo: delta four' <<<"$out" || fail "the rewound session's turn: $out"
check_resumed forksrc "$src_events" "delta four"

# Bad options are usage errors (exit 2).
set +e
"$sessionlog" --db "$db" chat --server "$url" </dev/null 2>"$tmp/err"; rc=$?
set -e
[[ $rc == 2 ]] || fail "no --agent/--resume: exit $rc, $(cat "$tmp/err")"

# ---- On a terminal, under tmux.
if ! command -v tmux >/dev/null; then
  echo "SKIP: tmux is not installed; the terminal part did not run"
  echo "1 passed, 0 failed"
  exit 0
fi
pane() { tmux capture-pane -p -t "$tmux_session"; }
wait_for() {  # wait_for PATTERN [SECONDS]
  local until=$((SECONDS + ${2:-20}))
  while ((SECONDS < until)); do
    pane | grep -q -- "$1" && return 0
    sleep 0.1
  done
  pane; fail "timed out waiting for: $1"
}
# The shell around chat ignores Ctrl-C (chat sets its own handler) and
# writes chat's exit status to a file: under load, tmux was seen not to reap
# an exited pane process for over 20 s, so the pane's "dead" line is no
# measure of when chat quit.
status_file="$tmp/chat-status"
rm -f "$status_file"
tmux new-session -d -s "$tmux_session" -x 200 -y 50 \
  bash -c 'trap "" INT; f=$1; shift; "$@"; echo $? >"$f.tmp"; mv "$f.tmp" "$f"' chat "$status_file" \
  "$sessionlog" --db "$db" chat --server "$url" --agent mock --id tty --cwd /tmp
tmux set-option -t "$tmux_session" remain-on-exit on >/dev/null
wait_for 'you>'
tmux send-keys -t "$tmux_session" 'hello' Enter
wait_for 'agent> echo: hello'
# A permission request is asked on the terminal.
tmux send-keys -t "$tmux_session" 'permission' Enter
wait_for 'permission: Edit README.md'
tmux send-keys -t "$tmux_session" 'reject' Enter
wait_for '"optionId":"no"'
# Ctrl-C during a turn cancels it; the chat goes on.
tmux send-keys -t "$tmux_session" 'stream 200 20000' Enter
wait_for 'part 3/200'
tmux send-keys -t "$tmux_session" C-c
wait_for '\[cancelled\]'
tmux send-keys -t "$tmux_session" 'still here' Enter
wait_for 'agent> echo: still here'
# Ctrl-C between turns quits, with exit 0.
tmux send-keys -t "$tmux_session" C-c
for _ in $(seq 1 300); do
  [[ -f "$status_file" ]] && break
  sleep 0.1
done
pane
[[ -f "$status_file" ]] || fail "chat did not quit within 30 s of Ctrl-C between turns"
[[ "$(cat "$status_file")" == 0 ]] || fail "chat quit with exit $(cat "$status_file"), not 0"
events=$("$sessionlog" --db "$db" events tty --json --limit 1000)
grep -q '"session/cancel"' <<<"$events" || fail "session/cancel not stored"
grep -q '"stopReason":"cancelled"' <<<"$events" || fail "no cancelled turn stored"
tmux kill-server

# ---- --resume on a restarted server: a new agent session, and the replay.
stop_server
start_server
bash "$install_agent" "$home"
out=$(printf 'after restart\n' | "$sessionlog" --db "$db" chat --server "$url" --resume tty)
grep -q 'earlier text block' <<<"$out" || fail "no replay in the resumed prompt: $out"
grep -q 'echo: after restart' <<<"$out" || fail "resumed turn: $out"
echo "1 passed, 0 failed"
