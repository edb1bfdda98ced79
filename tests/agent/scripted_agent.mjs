#!/usr/bin/env node
// A scripted ACP agent (JSON-RPC 2.0 over stdio, one message per line) that
// behaves like a real coding agent where the client is concerned. The real
// sandbox-agent server runs it in place of its built-in mock agent (see
// install_scripted_agent.sh), so tests can drive the client through the
// situations that matter: permission requests, long streamed turns,
// cancellation, modes and config options, and fs/terminal requests.
//
// Plain node, no dependencies. The prompt's last text block is the script:
//
//   stream N MS      N agent_message_chunk updates over MS milliseconds,
//                    then stopReason end_turn; session/cancel stops the
//                    stream and the turn ends with stopReason cancelled
//   permission       session/request_permission (allow_once, allow_always,
//                    reject_once), then a chunk naming the client's answer
//   mode ID          a current_mode_update notification, then end_turn
//   config ID VALUE  a config_option_update notification, then end_turn
//   tools            fs/read_text_file, fs/write_text_file, terminal/create,
//                    terminal/output, terminal/wait_for_exit,
//                    terminal/release, terminal/kill and an unknown method,
//                    each followed by a chunk with the client's answer
//   hang             one chunk, then nothing until session/cancel; the
//                    turn then ends with stopReason cancelled
//   anything else    echoed back as one chunk
//
// session/new reports modes and configOptions, unless the session's cwd
// ends with "/no-modes" (then neither is in the reply). initialize offers
// the auth method "anthropic-api-key", so clients exercise authenticate.
//
// Requests this agent sends carry ids from 1000000 up, so they never equal
// a client's own request ids (the TS SDK attributes agent requests by id).
//
// Everything it sends about a session carries
// _meta.scripted = {after: K, seq: S}: S numbers the agent's messages in the
// order it sent them, and K is how many of the session's messages (session/
// new, prompt, set_mode, set_config_option, cancel) it had received by then.
// Tests use them to put stored histories in the agent's true order.

import { createInterface } from "node:readline";

let nextRequestId = 1000000;
const pendingRequests = new Map();  // id -> resolve(reply envelope)
const sessions = new Map();         // sessionId -> state
let sessionCounter = 0;
let seq = 0;

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

// The tag of a message about `sessionId` (see the header).
function tag(sessionId) {
  const state = sessions.get(sessionId);
  return { scripted: { after: state ? state.received : 0, seq: ++seq } };
}

function reply(id, result, sessionId) {
  if (sessionId !== undefined && result && typeof result === "object") {
    result = { ...result, _meta: tag(sessionId) };
  }
  send({ jsonrpc: "2.0", id, result });
}

function replyError(id, code, message) {
  send({ jsonrpc: "2.0", id, error: { code, message } });
}

function request(method, params) {
  const id = nextRequestId++;
  return new Promise((resolve) => {
    pendingRequests.set(id, resolve);
    send({ jsonrpc: "2.0", id, method, params: { ...params, _meta: tag(params.sessionId) } });
  });
}

function update(sessionId, update) {
  send({ jsonrpc: "2.0", method: "session/update", params: { sessionId, update, _meta: tag(sessionId) } });
}

function chunk(sessionId, text) {
  update(sessionId, { sessionUpdate: "agent_message_chunk", content: { type: "text", text } });
}

const MODES = [
  { id: "normal", name: "Normal", description: "Asks before editing" },
  { id: "plan", name: "Plan", description: "Plans, never edits" },
  { id: "auto", name: "Auto", description: "Edits without asking" },
];

function configOptions(state) {
  return [
    {
      id: "mode", name: "Mode", category: "mode", type: "select", currentValue: state.mode,
      options: MODES.map((m) => ({ value: m.id, name: m.name })),
    },
    {
      id: "model", name: "Model", category: "model", type: "select", currentValue: state.model,
      options: [{ value: "scripted-small", name: "Small" }, { value: "scripted-large", name: "Large" }],
    },
    {
      id: "thought_level", name: "Thought level", category: "thought_level", type: "select",
      currentValue: state.thoughtLevel,
      options: [{ value: "low", name: "Low" }, { value: "high", name: "High" }],
    },
  ];
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(envelope) {
  if ("error" in envelope) return `error ${envelope.error.code}`;
  return `result ${JSON.stringify(envelope.result)}`;
}

async function runTurn(id, params, state) {
  const sessionId = params.sessionId;
  const blocks = Array.isArray(params.prompt) ? params.prompt : [];
  const texts = blocks.filter((b) => b && b.type === "text").map((b) => b.text);
  const script = (texts[texts.length - 1] ?? "").trim();
  const words = script.split(/\s+/);
  state.cancelled = false;
  const done = (stopReason) => reply(id, { stopReason }, sessionId);
  if (texts.length > 1) chunk(sessionId, `(with ${texts.length - 1} earlier text block(s) of history)`);
  switch (words[0]) {
    case "stream": {
      const count = Math.max(1, parseInt(words[1] ?? "10", 10));
      const totalMs = Math.max(0, parseInt(words[2] ?? "0", 10));
      for (let i = 1; i <= count; i++) {
        if (state.cancelled) return done("cancelled");
        chunk(sessionId, `part ${i}/${count} `);
        if (totalMs > 0) await sleep(totalMs / count);
      }
      if (state.cancelled) return done("cancelled");
      break;
    }
    case "hang": {
      chunk(sessionId, "working");
      const give_up = Date.now() + 600000;
      while (!state.cancelled && Date.now() < give_up) await sleep(20);
      return done(state.cancelled ? "cancelled" : "end_turn");
    }
    case "permission": {
      const answer = await request("session/request_permission", {
        sessionId,
        toolCall: { toolCallId: `call-${nextRequestId}`, title: "Edit README.md", kind: "edit", status: "pending" },
        options: [
          { optionId: "yes-once", name: "Allow once", kind: "allow_once" },
          { optionId: "yes-always", name: "Always allow", kind: "allow_always" },
          { optionId: "no", name: "Reject", kind: "reject_once" },
        ],
      });
      chunk(sessionId, `permission answer: ${describe(answer)}`);
      if (state.cancelled) return done("cancelled");
      break;
    }
    case "mode": {
      state.mode = words[1] ?? "normal";
      update(sessionId, { sessionUpdate: "current_mode_update", currentModeId: state.mode });
      break;
    }
    case "config": {
      const [_, configId, value] = words;
      if (configId === "mode") state.mode = value;
      if (configId === "model") state.model = value;
      if (configId === "thought_level") state.thoughtLevel = value;
      update(sessionId, { sessionUpdate: "config_option_update", configOptions: configOptions(state) });
      break;
    }
    case "tools": {
      const path = "/tmp/scripted-agent-example.txt";
      const calls = [
        ["fs/read_text_file", { sessionId, path }],
        ["fs/write_text_file", { sessionId, path, content: "hello" }],
        ["terminal/create", { sessionId, command: "echo", args: ["hi"] }],
        ["terminal/output", { sessionId, terminalId: "term-1" }],
        ["terminal/wait_for_exit", { sessionId, terminalId: "term-1" }],
        ["terminal/release", { sessionId, terminalId: "term-1" }],
        ["terminal/kill", { sessionId, terminalId: "term-1" }],
        ["x/unknown_method", { sessionId }],
      ];
      for (const [method, callParams] of calls) {
        const answer = await request(method, callParams);
        chunk(sessionId, `${method}: ${describe(answer)}`);
      }
      break;
    }
    default:
      chunk(sessionId, `echo: ${script}`);
  }
  done("end_turn");
}

async function handle(message) {
  if (!("method" in message)) {
    const resolve = pendingRequests.get(message.id);
    if (resolve) {
      pendingRequests.delete(message.id);
      resolve(message);
    }
    return;
  }
  const { id, method } = message;
  const params = message.params ?? {};
  const counted = sessions.get(params.sessionId);
  if (counted) counted.received++;
  switch (method) {
    case "initialize":
      return reply(id, {
        protocolVersion: 1,
        agentCapabilities: { loadSession: false, promptCapabilities: { image: false, audio: false, embeddedContext: true } },
        authMethods: [{ id: "anthropic-api-key", name: "Anthropic API key", description: "From ANTHROPIC_API_KEY" }],
        agentInfo: { name: "scripted-agent", version: "1.0.0" },
      });
    case "authenticate":
      return reply(id, {});
    case "session/new": {
      const sessionId = `scripted-${++sessionCounter}`;
      const state = { mode: "normal", model: "scripted-small", thoughtLevel: "low", cancelled: false, received: 1 };
      sessions.set(sessionId, state);
      if (typeof params.cwd === "string" && params.cwd.endsWith("/no-modes")) {
        return reply(id, { sessionId }, sessionId);
      }
      return reply(id, {
        sessionId,
        modes: { currentModeId: state.mode, availableModes: MODES },
        configOptions: configOptions(state),
      }, sessionId);
    }
    case "session/set_mode": {
      const state = sessions.get(params.sessionId);
      if (!state) return replyError(id, -32602, `unknown session ${params.sessionId}`);
      state.mode = params.modeId;
      return reply(id, {}, params.sessionId);
    }
    case "session/set_config_option": {
      const state = sessions.get(params.sessionId);
      if (!state) return replyError(id, -32602, `unknown session ${params.sessionId}`);
      if (params.configId === "mode") state.mode = params.value;
      else if (params.configId === "model") state.model = params.value;
      else if (params.configId === "thought_level") state.thoughtLevel = params.value;
      else return replyError(id, -32602, `unknown config option ${params.configId}`);
      return reply(id, { configOptions: configOptions(state) }, params.sessionId);
    }
    case "session/prompt": {
      const state = sessions.get(params.sessionId);
      if (!state) return replyError(id, -32602, `unknown session ${params.sessionId}`);
      return runTurn(id, params, state);
    }
    case "session/cancel": {
      const state = sessions.get(params.sessionId);
      if (state) state.cancelled = true;
      return;
    }
    default:
      if (id !== undefined) return replyError(id, -32601, `Method not found: ${method}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return send({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
  }
  handle(message).catch((error) => {
    if (message.id !== undefined && "method" in message) replyError(message.id, -32603, String(error));
  });
});
lines.on("close", () => process.exit(0));
