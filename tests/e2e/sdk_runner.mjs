// Runs a scripted conversation through the real TS SDK (sandbox-agent 0.4.2)
// and writes what its persistence driver stored, so that
// sdk_differential_test can compare it with what sessionlog's client stores
// for the same conversation through the same server.
//
//   node sdk_runner.mjs SDK_DIR BASE_URL SCENARIO.json OUT.json [STATE.json]
//
// SDK_DIR is the sandbox-agent package directory. STATE.json (optional) is
// an OUT.json of an earlier phase: its records and events are loaded into
// the SDK's in-memory driver first, as a service restarting on a durable
// store would find them. The scenario is a JSON array of steps; the C++ side
// of the test runs the same steps (see sdk_differential_test.cc):
//
//   {"op":"create","id":"s1","cwd":"/tmp"}    createSession (agent "mock")
//   {"op":"permission","id":"s1","reply":"once"|"always"|"reject"|"none"}
//                                            how permission requests of s1
//                                            are answered from now on
//   {"op":"prompt","id":"s1","text":"..."}    prompt, waits for the turn
//   {"op":"destroy_during_turn","id":"s1","text":"hang"}
//                                            prompt; once the agent's first
//                                            update is stored, destroySession;
//                                            then wait for the turn's end
//   {"op":"set_mode","id":"s1","value":"plan"}
//   {"op":"set_config","id":"s1","config":"model","value":"..."}
//   {"op":"set_model"|"set_thought_level","id":"s1","value":"..."}
//   {"op":"get_modes"|"get_config_options","id":"s1"}
//   {"op":"resume","id":"s1"}  {"op":"destroy","id":"s1"}
//
// Each step's outcome goes to "results" ({op, ok, value|error}).

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [sdkDir, baseUrl, scenarioPath, outPath, statePath] = process.argv.slice(2);
const { SandboxAgent, InMemorySessionPersistDriver } = await import(
  path.join(sdkDir, "dist", "index.js")
);

const persist = new InMemorySessionPersistDriver({ maxEventsPerSession: 100000 });
if (statePath) {
  const state = JSON.parse(readFileSync(statePath, "utf8"));
  for (const record of state.records) await persist.updateSession(record);
  for (const [id, events] of Object.entries(state.events)) {
    for (const event of events) await persist.insertEvent(id, event);
  }
}

const sdk = await SandboxAgent.connect({ baseUrl, persist });
const results = [];
const unsubscribe = new Map();

// "none": no listener, so the SDK answers by itself.
function setPolicy(id, reply) {
  unsubscribe.get(id)?.();
  unsubscribe.delete(id);
  if (reply === "none") return;
  unsubscribe.set(id, sdk.onPermissionRequest(id, (request) => {
    void sdk.respondPermission(request.id, reply);
  }));
}

async function allEvents(id) {
  const out = [];
  let cursor;
  for (;;) {
    const page = await persist.listEvents({ sessionId: id, cursor, limit: 1000 });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

async function waitForAgentUpdate(id, before) {
  const giveUp = Date.now() + 30000;
  while (Date.now() < giveUp) {
    const events = await allEvents(id);
    if (events.slice(before).some((e) => e.sender === "agent" && e.payload.method === "session/update")) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no update from the agent within 30 s");
}

async function run(step) {
  const id = step.id;
  switch (step.op) {
    case "create": {
      const session = await sdk.createSession({ id, agent: "mock", cwd: step.cwd });
      return session.toRecord().agentSessionId;
    }
    case "permission":
      setPolicy(id, step.reply);
      return step.reply;
    case "prompt": {
      const session = await sdk.getSession(id);
      const response = await session.prompt([{ type: "text", text: step.text }]);
      return response.stopReason;
    }
    case "destroy_during_turn": {
      const session = await sdk.getSession(id);
      const before = (await allEvents(id)).length;
      const turn = session.prompt([{ type: "text", text: step.text }]);
      await waitForAgentUpdate(id, before);
      await sdk.destroySession(id);
      return (await turn).stopReason;
    }
    case "set_mode":
      return (await sdk.setSessionMode(id, step.value)).response;
    case "set_config":
      return (await sdk.setSessionConfigOption(id, step.config, step.value)).response;
    case "set_model":
      return (await sdk.setSessionModel(id, step.value)).response;
    case "set_thought_level":
      return (await sdk.setSessionThoughtLevel(id, step.value)).response;
    case "get_modes":
      return await sdk.getSessionModes(id);
    case "get_config_options":
      return await sdk.getSessionConfigOptions(id);
    case "resume":
      return (await sdk.resumeSession(id)).toRecord().agentSessionId;
    case "destroy":
      return (await sdk.destroySession(id)).toRecord().destroyedAt !== undefined;
    default:
      throw new Error(`unknown step ${JSON.stringify(step)}`);
  }
}

const scenario = JSON.parse(readFileSync(scenarioPath, "utf8"));
for (const step of scenario) {
  if (process.env.SDK_RUNNER_TRACE) console.error("step", JSON.stringify(step));
  try {
    results.push({ op: step.op, ok: true, value: (await run(step)) ?? null });
  } catch (error) {
    results.push({ op: step.op, ok: false, error: String(error?.message ?? error) });
  }
}
// Let the last envelopes reach the driver (its writes are queued).
await new Promise((r) => setTimeout(r, 500));

const records = [];
let cursor;
for (;;) {
  const page = await persist.listSessions({ cursor, limit: 1000 });
  records.push(...page.items);
  if (!page.nextCursor) break;
  cursor = page.nextCursor;
}
const events = {};
for (const record of records) events[record.id] = await allEvents(record.id);
writeFileSync(outPath, JSON.stringify({ records, events, results }, null, 1));
await sdk.dispose();
process.exit(0);
