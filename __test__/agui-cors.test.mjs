// The factories' `cors` option (spec §4) as seen on the wire: default `*`, a fixed origin, an
// allow-list, credentials, and an origin function — which must never end up allowing an origin
// it rejected (with credentials, that would hand any site the user's session).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, startBackend, listen, rawRequest } from './support/agui-harness.mjs';

const BASE = '/api/copilotkit';
const INFO = JSON.stringify({ method: 'info' });
let backend;
const servers = [];
before(async () => {
  backend = await startBackend();
});
after(async () => {
  for (const s of servers) await s.close();
  await backend.mock.close();
});

async function endpointWith(cors) {
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime: backend.runtime, serviceAdapter: backend.serviceAdapter, endpoint: BASE, cors });
  const srv = await listen((req, res) => handler(req, res), { observeBody: false });
  servers.push(srv);
  const call = (method, origin, path = BASE) =>
    rawRequest(`${srv.origin}${path}`, {
      method,
      headers: { ...(method === 'POST' ? { 'content-type': 'application/json' } : { 'access-control-request-method': 'POST' }), ...(origin ? { origin } : {}) },
      body: method === 'POST' ? INFO : undefined,
    });
  return { post: (origin, path) => call('POST', origin, path), preflight: (origin) => call('OPTIONS', origin) };
}

const cors = (res) => ({
  origin: res.headers['access-control-allow-origin'],
  credentials: res.headers['access-control-allow-credentials'],
  vary: res.headers.vary,
});

test('default: access-control-allow-origin: * on answers and preflights, nothing outside the base path', async () => {
  const ep = await endpointWith(undefined);
  assert.deepEqual(cors(await ep.post('https://a.example')), { origin: '*', credentials: undefined, vary: undefined });
  const pre = await ep.preflight('https://a.example');
  assert.equal(pre.status, 204);
  assert.deepEqual(cors(pre), { origin: '*', credentials: undefined, vary: 'Access-Control-Request-Headers, Access-Control-Request-Method' });
  assert.deepEqual(cors(await ep.post('https://a.example', '/elsewhere')), { origin: undefined, credentials: undefined, vary: undefined });
});

test('a fixed origin is always sent, with Vary: Origin', async () => {
  const ep = await endpointWith({ origin: 'https://app.example' });
  assert.deepEqual(cors(await ep.post('https://other.example')), { origin: 'https://app.example', credentials: undefined, vary: 'Origin' });
  assert.deepEqual(cors(await ep.post()), { origin: 'https://app.example', credentials: undefined, vary: 'Origin' });
});

test('an allow-list reflects listed origins only', async () => {
  const ep = await endpointWith({ origin: ['https://a.example', 'https://b.example'] });
  assert.deepEqual(cors(await ep.post('https://b.example')), { origin: 'https://b.example', credentials: undefined, vary: 'Origin' });
  const denied = await ep.post('https://evil.example');
  assert.equal(denied.status, 200);
  assert.deepEqual(cors(denied), { origin: undefined, credentials: undefined, vary: undefined });
});

test('credentials with the default origin reflect the request Origin; none without one', async () => {
  const ep = await endpointWith({ credentials: true });
  assert.deepEqual(cors(await ep.post('https://a.example')), { origin: 'https://a.example', credentials: 'true', vary: 'Origin' });
  assert.deepEqual(cors(await ep.post()), { origin: undefined, credentials: undefined, vary: undefined });
});

test('an origin function decides per request (sync or async), on answers and preflights', async () => {
  const seen = [];
  const ep = await endpointWith({
    origin: async (o) => {
      seen.push(o);
      return o.endsWith('.good.example') ? o : null;
    },
  });
  assert.deepEqual(cors(await ep.post('https://app.good.example')), { origin: 'https://app.good.example', credentials: undefined, vary: 'Origin' });
  assert.deepEqual(cors(await ep.post('https://evil.example')), { origin: undefined, credentials: undefined, vary: undefined });
  assert.deepEqual(cors(await ep.post()), { origin: undefined, credentials: undefined, vary: undefined }, 'no Origin, nothing allowed');
  const pre = await ep.preflight('https://app.good.example');
  assert.equal(pre.status, 204);
  assert.deepEqual(cors(pre), { origin: 'https://app.good.example', credentials: undefined, vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method' });
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS');
  assert.deepEqual(seen, ['https://app.good.example', 'https://evil.example', 'https://app.good.example']);

  const star = await endpointWith({ origin: () => '*' });
  assert.deepEqual(cors(await star.post('https://x.example')), { origin: '*', credentials: undefined, vary: undefined });
});

test('an origin function with credentials never reflects an origin it rejected', async () => {
  const ep = await endpointWith({ origin: (o) => (o === 'https://app.example' ? o : undefined), credentials: true });
  assert.deepEqual(cors(await ep.post('https://app.example')), { origin: 'https://app.example', credentials: 'true', vary: 'Origin' });
  assert.deepEqual(cors(await ep.post('https://evil.example')), { origin: undefined, credentials: undefined, vary: undefined });
  const pre = await ep.preflight('https://evil.example');
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], undefined);
  assert.equal(pre.headers['access-control-allow-credentials'], undefined);

  const throwing = await endpointWith({ origin: () => { throw new Error('boom'); }, credentials: true });
  const res = await throwing.post('https://app.example');
  assert.equal(res.status, 200, 'a throwing origin function does not break the request');
  assert.deepEqual(cors(res), { origin: undefined, credentials: undefined, vary: undefined });
});

test('App Router (Fetch) applies the origin function too', async () => {
  const { handleRequest } = pkg.copilotRuntimeNextJSAppRouterEndpoint({
    runtime: backend.runtime,
    serviceAdapter: backend.serviceAdapter,
    endpoint: BASE,
    cors: { origin: (o) => (o === 'https://app.example' ? o : null), credentials: true },
  });
  const ask = (origin) => handleRequest(new Request(`http://localhost${BASE}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: INFO }));
  const ok = await ask('https://app.example');
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(ok.headers.get('vary'), 'Origin');
  const evil = await ask('https://evil.example');
  assert.equal(evil.status, 200);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  assert.equal(evil.headers.get('access-control-allow-credentials'), null);
});

test('cors: false leaves CORS to the host: no headers, OPTIONS is not answered as a preflight', async () => {
  const ep = await endpointWith(false);
  assert.deepEqual(cors(await ep.post('https://a.example')), { origin: undefined, credentials: undefined, vary: undefined });
  assert.equal((await ep.preflight('https://a.example')).status, 405);
});
