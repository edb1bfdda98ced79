#!/usr/bin/env node
// The SDK harness: runs operations through the real sandbox-agent SDK
// (0.4.2, pinned by tests/sdk/package-lock.json) and prints what it answers,
// so that the differential, replay and end-to-end tests compare sessionlog
// with the SDK itself rather than with our reading of it.
//
//   node tests/sdk/sdk_harness.mjs < ops.jsonl > results.jsonl
//
// It runs the SDK's own code for everything it answers:
//   - the exported InMemorySessionPersistDriver, for the driver operations;
//   - buildReplayText and normalizePositiveInt, which the SDK does not export:
//     their text is taken from the published dist chunk and compiled here, so
//     a restore's replay text is the SDK's, byte for byte;
//   - SandboxAgent.prototype.collectReplayEvents (the event selection of a
//     restore), called with the driver as its `persist`.
//
// Operations, one JSON object per line (tests/oracle/oracle_runner.h writes
// them; tests/sdk/testdata has an example of each):
//   {"op":"init","options":{"maxSessions":2,"maxEventsPerSession":3}}
//       a new driver with these caps (before any init: the SDK's defaults)
//   {"op":"updateSession","session":{...SessionRecord}}
//   {"op":"insertEvent","sessionId":"s1","event":{...SessionEvent}}
//   {"op":"getSession","id":"s1"}
//   {"op":"listSessions","request":{"cursor":"2","limit":2}}  request optional
//   {"op":"listEvents","request":{"sessionId":"s1","cursor":"0","limit":10}}
//   {"op":"replayText","events":[...SessionEvent],"maxChars":12000}
//   {"op":"collectReplay","sessionId":"s1","maxEvents":50,"maxChars":12000}
//       what a restore injects: {"eventIds":[...],"text":...}
//
// Answers, one line per non-blank input line, in order; "i" is the 0-based
// input line number:
//   {"i":N,"op":OP,"result":VALUE}
//   {"i":N,"op":OP,"result":null,"undefined":true}  the SDK returned undefined
//   {"i":N,"op":OP,"error":MESSAGE}                 the SDK (or the op) threw
//   {"i":N,"error":"bad json: ..."}                 the line is not JSON
// VALUE is JSON.stringify's rendering, so keys whose value is undefined (such
// as nextCursor on the last page) are left out, as a TS caller would see them
// after a round trip through JSON.
//
// The packages come from $SESSIONLOG_NODE_MODULES, else from where
// `install_node_packages` (tools/scripts/services.sh) puts them:
// ${SESSIONLOG_CACHE:-$HOME/.cache}/sessionlog-oracle/node_modules.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

// The version whose behaviour sessionlog promises; another one would make
// every comparison meaningless, so it is refused rather than run.
const SDK_VERSION = "0.4.2";

function fail(message) {
  process.stderr.write(`sdk_harness: ${message}\n`);
  process.exit(2);
}

function nodeModulesDir() {
  if (process.env.SESSIONLOG_NODE_MODULES) return process.env.SESSIONLOG_NODE_MODULES;
  const cache = process.env.SESSIONLOG_CACHE || path.join(process.env.HOME || os.homedir(), ".cache");
  return path.join(cache, "sessionlog-oracle", "node_modules");
}

const sdkDir = path.join(nodeModulesDir(), "sandbox-agent");
let sdkPackage;
try {
  sdkPackage = JSON.parse(fs.readFileSync(path.join(sdkDir, "package.json"), "utf8"));
} catch (e) {
  fail(`the SDK is not installed at ${sdkDir} (${e.code ?? e.message}): run ` +
    "`source tools/scripts/services.sh; install_node_packages $PWD`, " +
    "or point SESSIONLOG_NODE_MODULES at a node_modules holding it");
}
if (sdkPackage.version !== SDK_VERSION) {
  fail(`${sdkDir} is sandbox-agent ${sdkPackage.version}, not ${SDK_VERSION}: ` +
    "reinstall from tests/sdk/package-lock.json with install_node_packages");
}
const sdk = await import(pathToFileURL(path.join(sdkDir, "dist", "index.js")).href);

// A module-private top-level function of the published dist, compiled on its
// own. It must use nothing else private to the module: the two taken here use
// only JSON, Number and Math. The bundler writes top-level functions at column
// 0 with two-space indented bodies, so the first "\n}\n" after the header
// closes the function.
function privateFunction(name) {
  const distDir = path.join(sdkDir, "dist");
  const header = `\nfunction ${name}(`;
  for (const file of fs.readdirSync(distDir).sort()) {
    if (!file.endsWith(".js")) continue;
    const source = fs.readFileSync(path.join(distDir, file), "utf8");
    const start = source.indexOf(header);
    if (start === -1) continue;
    const end = source.indexOf("\n}\n", start);
    if (end === -1) break;
    return new Function(`${source.slice(start, end + 2)}\nreturn ${name};`)();
  }
  fail(`function ${name} not found in ${distDir}: the dist layout is not 0.4.2's`);
}

const buildReplayText = privateFunction("buildReplayText");
const normalizePositiveInt = privateFunction("normalizePositiveInt");
// The SDK's defaults for a restore (client.ts DEFAULT_REPLAY_MAX_EVENTS and
// DEFAULT_REPLAY_MAX_CHARS are module-private constants, not functions).
const DEFAULT_REPLAY_MAX_EVENTS = 50;
const DEFAULT_REPLAY_MAX_CHARS = 12000;

let driver = new sdk.InMemorySessionPersistDriver();

function collectReplayEvents(sessionId, maxEvents) {
  // The method reads only this.persist: the driver stands in for the SandboxAgent.
  return sdk.SandboxAgent.prototype.collectReplayEvents.call({ persist: driver }, sessionId, maxEvents);
}

async function run(command) {
  switch (command.op) {
    case "init":
      driver = new sdk.InMemorySessionPersistDriver(command.options ?? {});
      return { ok: true };
    case "updateSession":
      return driver.updateSession(command.session);
    case "insertEvent":
      return driver.insertEvent(command.sessionId, command.event);
    case "getSession":
      return driver.getSession(command.id);
    case "listSessions":
      // No argument at all when the op has no request: the SDK's default
      // parameter then applies, as for a TS caller that passes nothing.
      return command.request === undefined ? driver.listSessions() : driver.listSessions(command.request);
    case "listEvents":
      return driver.listEvents(command.request);
    case "replayText":
      return buildReplayText(command.events ?? [], command.maxChars ?? DEFAULT_REPLAY_MAX_CHARS);
    case "collectReplay": {
      // As SandboxAgent's constructor normalizes replayMaxEvents/-Chars.
      const maxEvents = normalizePositiveInt(command.maxEvents, DEFAULT_REPLAY_MAX_EVENTS);
      const maxChars = normalizePositiveInt(command.maxChars, DEFAULT_REPLAY_MAX_CHARS);
      const events = await collectReplayEvents(command.sessionId, maxEvents);
      return { eventIds: events.map((e) => e.id), text: buildReplayText(events, maxChars) };
    }
    default:
      throw new Error(`unknown op '${command.op}'`);
  }
}

// Operations run one at a time, in input order: each sees the state the
// previous one left, as in a TS service awaiting every call.
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let lineNumber = 0;
for await (const line of lines) {
  const i = lineNumber++;
  if (!line.trim()) continue;
  let command;
  try {
    command = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ i, error: `bad json: ${e.message}` }) + "\n");
    continue;
  }
  let answer;
  try {
    const result = await run(command);
    answer = { i, op: command.op, result: result === undefined ? null : result };
    if (result === undefined) answer.undefined = true;
  } catch (e) {
    // command?.op: a line may be JSON but not an object (null, 42).
    answer = { i, op: command?.op, error: String(e?.message ?? e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
