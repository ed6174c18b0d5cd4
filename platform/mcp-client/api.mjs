#!/usr/bin/env node
// api.mjs is the demo's small API on loopback. It requires the bearer token
// in $DEMO_TOKEN, prints "listening http://127.0.0.1:PORT" on stdout once
// ready, and serves:
//
//	GET /api/hello             a JSON greeting
//	GET /api/echo              the request's headers, as an API that echoes them would
//	GET /api/odata/People      an OData entity set, two rows a page, with @odata.nextLink
import { createServer } from 'node:http';

const token = process.env.DEMO_TOKEN;
if (!token) {
  process.stderr.write('api.mjs: set DEMO_TOKEN\n');
  process.exit(2);
}
const people = ['Ada', 'Alan', 'Barbara', 'Dennis', 'Edsger', 'Grace', 'Ken'].map(
  (name, i) => ({ id: i + 1, name }),
);

function odata(url, base) {
  const skip = Number(url.searchParams.get('$skip') ?? 0);
  const top = Number(url.searchParams.get('$top') ?? 2);
  const filter = url.searchParams.get('$filter') ?? '';
  const m = filter.match(/^startswith\(name,'([^']*)'\)$/);
  const rows = people.filter((p) => !m || p.name.startsWith(m[1]));
  const body = { '@odata.context': `${base}/api/$metadata#People`, value: rows.slice(skip, skip + top) };
  if (skip + top < rows.length) {
    const next = new URL(url);
    next.searchParams.set('$skip', String(skip + top));
    body['@odata.nextLink'] = `${base}${next.pathname}${next.search}`;
  }
  return body;
}

const server = createServer((req, res) => {
  const base = `http://${req.headers.host}`;
  const url = new URL(req.url, base);
  const send = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.headers.authorization !== `Bearer ${token}`) {
    return send(401, { error: 'missing or wrong bearer token' });
  }
  switch (url.pathname) {
    case '/api/hello':
      return send(200, { message: 'hello from the demo API', time: new Date().toISOString() });
    case '/api/echo':
      return send(200, { method: req.method, headers: req.headers });
    case '/api/odata/People':
      return send(200, odata(url, base));
    default:
      return send(404, { error: 'no such endpoint' });
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
