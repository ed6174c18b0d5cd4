#!/usr/bin/env node
// drive.mjs runs keyref-mcp under the official MCP TypeScript SDK's client
// and replays a plan of steps, printing one JSON report on stdout:
//
//	node drive.mjs PLAN.json
//
// PLAN is {"command", "args", "env", "steps": [...]}; each step is one of
//	{"op": "list"}                                tools/list
//	{"op": "call", "name", "args"}                tools/call
//	{"op": "parallel", "calls": [{name, args}]}   calls at once, with wall time
//	{"op": "cancel", "name", "args", "afterMs"}   call, then abort it
//	{"op": "start", "name", "args", "waitMs"}     call without waiting for it
//	{"op": "exec", "argv": [...]}                 run a command (say, keyref rm)
//	{"op": "close"}                               end stdin, time the exit
// The report holds every result and error exactly as the client received
// them, and the server's whole stderr, so a test can search them all.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

// passEnv are handed to the server besides the SDK's minimal default
// environment: the helper needs them to reach the Secret Service.
const passEnv = ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'KEYREF_LOCK_DIR'];

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const env = {};
for (const k of passEnv) {
  if (process.env[k] !== undefined) env[k] = process.env[k];
}
Object.assign(env, plan.env ?? {});

const transport = new StdioClientTransport({
  command: plan.command, args: plan.args ?? [], env, stderr: 'pipe',
});
let stderr = '';
transport.stderr.on('data', (b) => { stderr += b.toString(); });

const client = new Client({ name: 'keyref-test-client', version: '1.0.0' });
const report = { steps: [] };
const now = () => Number(process.hrtime.bigint() / 1000000n);

async function call(name, args, options) {
  const start = now();
  try {
    const result = await client.callTool({ name, arguments: args ?? {} }, undefined, options);
    return { ok: true, result, ms: now() - start };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err), code: err?.code, ms: now() - start };
  }
}

async function closeAndTime() {
  const proc = transport._process; // the SDK keeps the child here
  const start = now();
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal, ms: now() - start }));
  });
  await transport.close();
  return exited;
}

const steps = {
  list: async () => ({ tools: (await client.listTools()).tools }),
  call: async (s) => call(s.name, s.args),
  parallel: async (s) => {
    const start = now();
    const results = await Promise.all(s.calls.map((c) => call(c.name, c.args)));
    return { results, ms: now() - start };
  },
  cancel: async (s) => {
    const ac = new AbortController();
    setTimeout(() => ac.abort('cancelled by the test'), s.afterMs ?? 300);
    return call(s.name, s.args, { signal: ac.signal, timeout: 60000 });
  },
  start: async (s) => {
    call(s.name, s.args); // settles when the server answers or exits
    await sleep(s.waitMs ?? 300);
    return { ok: true };
  },
  exec: async (s) => {
    execFileSync(s.argv[0], s.argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    return { ok: true };
  },
  close: async () => ({ exit: await closeAndTime() }),
};

try {
  await client.connect(transport);
  report.server = client.getServerVersion();
  for (const s of plan.steps) {
    const run = steps[s.op];
    if (!run) throw new Error(`unknown step ${s.op}`);
    report.steps.push({ op: s.op, ...(await run(s)) });
  }
} catch (err) {
  report.error = String(err?.stack ?? err);
} finally {
  if (!plan.steps.some((s) => s.op === 'close')) await transport.close();
  report.stderr = stderr;
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}
