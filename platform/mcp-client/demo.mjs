#!/usr/bin/env node
// demo.mjs drives keyref-mcp with the official MCP client, the way Claude
// Desktop would: lists the tools, calls http_request and odata_query with
// keyring:demo, prints the API's answers, and checks that the token (read
// from $DEMO_TOKEN only to search for it) appears nowhere in what the
// client received.
//
//	node demo.mjs BIN_DIR API_URL
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { join } from 'node:path';

const [binDir, api] = process.argv.slice(2);
const token = process.env.DEMO_TOKEN;
if (!binDir || !api || !token) {
  process.stderr.write('usage: DEMO_TOKEN=... node demo.mjs BIN_DIR API_URL\n');
  process.exit(2);
}

const env = {};
for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'KEYREF_LOCK_DIR']) {
  if (process.env[k]) env[k] = process.env[k];
}
// Like Claude Desktop's config: a path and a reference, never a token.
const transport = new StdioClientTransport({
  command: join(binDir, 'keyref-mcp'), args: ['--base-url', api], env, stderr: 'pipe',
});
let stderr = '';
transport.stderr.on('data', (b) => { stderr += b.toString(); });
const client = new Client({ name: 'keyref-demo', version: '1.0.0' });
const received = [];

function show(title, result) {
  received.push(JSON.stringify(result));
  const text = result.content.map((c) => c.text).join('\n');
  console.log(`\n== ${title}${result.isError ? ' (tool error)' : ''}\n${text}`);
}

await client.connect(transport);
const { tools } = await client.listTools();
received.push(JSON.stringify(tools));
console.log(`== tools: ${tools.map((t) => t.name).join(', ')}`);

const calls = [
  ['http_request GET /api/hello with keyring:demo', 'http_request', { url: '/api/hello', token: 'keyring:demo' }],
  ['http_request GET /api/echo (the API echoes the Authorization header)', 'http_request',
    { url: '/api/echo', token: 'keyring:demo' }],
  ["odata_query People, $filter=startswith(name,'A'), all pages", 'odata_query',
    { url: '/api/odata/People', filter: "startswith(name,'A')", select: 'id,name', token: 'keyring:demo' }],
  ['odata_query People, every page', 'odata_query', { url: '/api/odata/People', token: 'keyring:demo' }],
  ['http_request to another origin with keyring:demo (must be refused)', 'http_request',
    { url: 'http://127.0.0.1:9/elsewhere', token: 'keyring:demo' }],
];
let failed = false;
for (const [title, name, args] of calls) {
  const result = await client.callTool({ name, arguments: args });
  show(title, result);
  const wantError = name === 'http_request' && args.url.startsWith('http://127.0.0.1:9/');
  failed ||= Boolean(result.isError) !== wantError;
}
await client.close();
received.push(stderr);

console.log('\n== keyref-mcp stderr (one line per call)\n' + stderr.trimEnd());
const leaks = received.filter((r) => r.includes(token)).length;
console.log(`\n== the token appears ${leaks} times in ${received.length} client-visible outputs ` +
  '(tools/list, every result and error, the server\'s stderr)');
if (leaks > 0 || failed) {
  console.log(leaks > 0 ? 'FAIL: the token leaked' : 'FAIL: a call did not behave as expected');
  process.exit(1);
}
console.log('OK: the API answered through keyring:demo and the token stayed out of sight');
