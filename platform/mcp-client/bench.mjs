#!/usr/bin/env node
// bench.mjs measures keyref-mcp over stdio with the official MCP client:
// N http_request calls to a loopback API (in this process) with a raw
// token, env: and keyring:, 1 and 16 in flight, printing median and p99,
// and one whole `keyref get` for comparison.
//
//	BENCH_TOKEN=... node bench.mjs BIN_DIR ALIAS [N]
//
// The alias must hold $BENCH_TOKEN and be scoped to http://127.0.0.1/ ports
// (the script stores it scoped to the API's URL after the API starts, so
// bench-mcp.sh passes the alias name and this script sets it up).
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [binDir, alias, nArg] = process.argv.slice(2);
const token = process.env.BENCH_TOKEN;
const n = Number(nArg ?? 1000);
if (!binDir || !alias || !token) {
  process.stderr.write('usage: BENCH_TOKEN=... node bench.mjs BIN_DIR ALIAS [N]\n');
  process.exit(2);
}
const keyref = join(binDir, 'keyref');

const api = createServer((req, res) => {
  const ok = req.headers.authorization === `Bearer ${token}`;
  res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
  res.end(ok ? '{"ok":true}' : '{"ok":false}');
});
await new Promise((r) => api.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${api.address().port}`;
// The token reaches keyref on stdin, never in argv.
execFileSync(keyref, ['set', alias, '--url', `${base}/api/`], { input: `${token}\n` });

const env = { BEARER_TOKEN_BENCH: token };
for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'KEYREF_LOCK_DIR']) {
  if (process.env[k]) env[k] = process.env[k];
}
const transport = new StdioClientTransport({
  command: join(binDir, 'keyref-mcp'),
  args: ['--helper', keyref, '--allow-origin', base],
  env: { ...env, KEYREF_LOG: 'warn' }, stderr: 'pipe',
});
transport.stderr.on('data', () => {});
const client = new Client({ name: 'keyref-bench', version: '1.0.0' });
await client.connect(transport);

const ms = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function run(ref, inFlight) {
  const times = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const t0 = ms();
      const r = await client.callTool({ name: 'http_request',
        arguments: { url: `${base}/api/x`, token: ref } });
      if (r.isError) throw new Error(`call failed: ${r.content[0].text}`);
      times.push(ms() - t0);
    }
  };
  const t0 = ms();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { median: pct(times, 50), p99: pct(times, 99), wall: ms() - t0 };
}

function keyrefGet(runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = ms();
    const r = spawnSync(keyref, ['get', alias, '--url', `${base}/api/x`, '--json'], { env: process.env });
    if (r.status !== 0) throw new Error(`keyref get exited ${r.status}`);
    times.push(ms() - t0);
  }
  return { median: pct(times, 50), p99: pct(times, 99) };
}

const refs = { raw: token, 'env:': 'env:BENCH', 'keyring:': `keyring:${alias}` };
const rows = [];
const f = (x) => x.toFixed(2).padStart(8);
console.log(`keyref-mcp: ${n} http_request calls per row over stdio, loopback API`);
console.log('reference  in-flight  median ms   p99 ms   calls/s');
for (const inFlight of [1, 16]) {
  for (const [name, ref] of Object.entries(refs)) {
    const r = await run(ref, inFlight);
    rows.push({ name, inFlight, ...r });
    console.log(`${name.padEnd(10)} ${String(inFlight).padStart(9)} ${f(r.median)} ${f(r.p99)} ` +
      `${(n / (r.wall / 1000)).toFixed(0).padStart(9)}`);
  }
}
await client.close();
const get = keyrefGet(Math.min(n, 200));
console.log(`keyref get (whole process, ${Math.min(n, 200)} runs): median ${get.median.toFixed(2)} ms, ` +
  `p99 ${get.p99.toFixed(2)} ms`);

const raw1 = rows.find((r) => r.name === 'raw' && r.inFlight === 1).median;
const kr1 = rows.find((r) => r.name === 'keyring:' && r.inFlight === 1).median;
const bound = raw1 + 1.3 * get.median;
const ok = kr1 <= bound;
console.log(`acceptance: median keyring: ${kr1.toFixed(2)} ms <= raw ${raw1.toFixed(2)} ms + ` +
  `1.3 x keyref get ${get.median.toFixed(2)} ms = ${bound.toFixed(2)} ms: ${ok ? 'PASS' : 'FAIL'} ` +
  `(overhead is ${((kr1 - raw1) / get.median).toFixed(2)} x one keyref get)`);
api.close();
execFileSync(keyref, ['rm', alias]);
process.exit(ok ? 0 : 1);
