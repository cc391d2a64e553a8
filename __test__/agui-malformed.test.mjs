// Hand-written requests the real client never sends, through copilotRuntimeNodeHttpEndpoint:
// every answer must be the exact status, headers and JSON body of the protocol's error
// catalogue (spec §11, captured from @copilotkit/runtime 1.75 in h-malformed-and-edge-inputs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNodeHttpStack, rawRequest, runInput, newId } from './support/agui-harness.mjs';

const BASE = '/api/copilotkit';
const JSON_CT = { 'content-type': 'application/json' };
let stack;
before(async () => {
  stack = await startNodeHttpStack({ endpoint: BASE });
});
after(async () => {
  await stack.close();
});

const send = (opts) => rawRequest(`${stack.origin}${opts.path ?? BASE}`, opts);
const envelope = (obj, extra = {}) => ({ method: 'POST', headers: JSON_CT, body: typeof obj === 'string' ? obj : JSON.stringify(obj), ...extra });
const invalid = (message) => ({ error: 'invalid_request', message });

/** Status, JSON content type, the default CORS header, and the exact body. */
function assertJson(res, status, body) {
  assert.equal(res.status, status, `status (body ${res.body})`);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.headers['access-control-allow-origin'], '*');
  assert.equal(res.body, JSON.stringify(body), 'exact body bytes');
}

const threadId = newId();
const cases = [
  ['content-type text/plain → 415', envelope('{"method":"info"}', { headers: { 'content-type': 'text/plain' } }), 415, invalid('Single-route endpoint expects JSON payloads')],
  ['no content-type → 415', envelope('{"method":"info"}', { headers: {} }), 415, invalid('Single-route endpoint expects JSON payloads')],
  ['invalid JSON → 400', envelope('{"method":'), 400, invalid('Invalid JSON payload')],
  ['empty body → 400 invalid JSON', envelope(''), 400, invalid('Invalid JSON payload')],
  ['invalid UTF-8 in the JSON → 400', { method: 'POST', headers: JSON_CT, body: Buffer.concat([Buffer.from('{"method":"info","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) }, 400, invalid('Invalid JSON payload')],
  ['JSON null → 400 (1.75 answers 500)', envelope('null'), 400, invalid('JSON payload must be an object, got null')],
  ['JSON nested 200 levels deep → 400 naming the limit', envelope(`{"method":"info","x":${'['.repeat(200)}${']'.repeat(200)}}`), 400, invalid('JSON payload nests deeper than 128 levels')],
  ['missing method → 400', envelope({ params: {} }), 400, invalid('Missing method field')],
  ['JSON array → 400 missing method', envelope('[]'), 400, invalid('Missing method field')],
  ['unsupported method → 400', envelope({ method: 'agent/explode' }), 400, invalid("Unsupported method 'agent/explode'")],
  ['REST-style method name → 400', envelope({ method: 'threads/list' }), 400, invalid("Unsupported method 'threads/list'")],
  ['agent/run without params → 400 agentId', envelope({ method: 'agent/run', body: runInput() }), 400, invalid("Missing or invalid parameter 'agentId'")],
  ['agent/run blank agentId → 400', envelope({ method: 'agent/run', params: { agentId: '  ' }, body: runInput() }), 400, invalid("Missing or invalid parameter 'agentId'")],
  ['agent/stop without threadId → 400', envelope({ method: 'agent/stop', params: { agentId: 'default' } }), 400, invalid("Missing or invalid parameter 'threadId'")],
  ['resource/request without path → 400', envelope({ method: 'resource/request', params: { httpMethod: 'GET' } }), 400, invalid("Missing or invalid parameter 'path'")],
  ['resource/request without httpMethod → 400', envelope({ method: 'resource/request', params: { path: '/threads' } }), 400, invalid("Missing or invalid parameter 'httpMethod'")],
  ['agent/run without body → 400', envelope({ method: 'agent/run', params: { agentId: 'default' } }), 400, invalid('Missing request body for JSON handler')],
  ['agent/connect with null body → 400', envelope({ method: 'agent/connect', params: { agentId: 'default' }, body: null }), 400, invalid('Missing request body for JSON handler')],
  ['agent/run unknown agent → 404', envelope({ method: 'agent/run', params: { agentId: 'nope' }, body: runInput() }), 404, { error: 'Agent not found', message: "Agent 'nope' does not exist" }],
  ['agent/run unknown agent wins over an invalid body → 404', envelope({ method: 'agent/run', params: { agentId: 'nope' }, body: {} }), 404, { error: 'Agent not found', message: "Agent 'nope' does not exist" }],
  ['agent/connect unknown agent → 404', envelope({ method: 'agent/connect', params: { agentId: 'nope' }, body: runInput() }), 404, { error: 'Agent not found', message: "Agent 'nope' does not exist" }],
  ['agent/stop unknown agent → 404', envelope({ method: 'agent/stop', params: { agentId: 'nope', threadId } }), 404, { error: 'Agent not found', message: "Agent 'nope' does not exist" }],
  [
    'agent/run body missing required fields → 400 with the zod issues',
    envelope({ method: 'agent/run', params: { agentId: 'default' }, body: { threadId } }),
    400,
    {
      error: 'Invalid request body',
      details: JSON.stringify(
        ['runId', 'messages', 'tools', 'context'].map((k) => ({
          code: 'invalid_type',
          expected: k === 'runId' ? 'string' : 'array',
          received: 'undefined',
          path: [k],
          message: 'Required',
        })),
        null,
        2,
      ),
    },
  ],
  [
    'agent/run message with an unknown role → 400',
    envelope({ method: 'agent/run', params: { agentId: 'default' }, body: { ...runInput({ threadId }), messages: [{ id: 'm1', role: 'wizard', content: 'x' }] } }),
    400,
    {
      error: 'Invalid request body',
      details: JSON.stringify(
        [
          {
            code: 'invalid_union_discriminator',
            options: ['developer', 'system', 'assistant', 'user', 'tool', 'activity', 'reasoning'],
            path: ['messages', 0, 'role'],
            message: "Invalid discriminator value. Expected 'developer' | 'system' | 'assistant' | 'user' | 'tool' | 'activity' | 'reasoning'",
          },
        ],
        null,
        2,
      ),
    },
  ],
  [
    'agent/run with 10 001 messages → 400 naming the maxMessages limit',
    envelope({ method: 'agent/run', params: { agentId: 'default' }, body: { ...runInput({ threadId }), messages: Array.from({ length: 10001 }, (_, i) => ({ id: `m${i}`, role: 'user', content: 'x' })) } }),
    400,
    invalid('Too many messages: 10001 in one request, the limit is 10000 (maxMessages option)'),
  ],
  [
    'agent/run with a JSON-text body nested too deep → 400',
    envelope({ method: 'agent/run', params: { agentId: 'default' }, body: `{"state":${'{"a":'.repeat(150)}1${'}'.repeat(150)}}` }),
    400,
    invalid('JSON payload nests deeper than 128 levels'),
  ],
  ['agent/stop with an extra body key → 400', envelope({ method: 'agent/stop', params: { agentId: 'default', threadId }, body: { runId: 'r', x: 1 } }), 400, { error: 'Invalid stop request' }],
  ['agent/stop with a blank runId → 400', envelope({ method: 'agent/stop', params: { agentId: 'default', threadId }, body: { runId: ' ' } }), 400, { error: 'Invalid runId' }],
  ['agent/stop on an idle thread → 200 stopped:false', envelope({ method: 'agent/stop', params: { agentId: 'default', threadId } }), 200, { stopped: false, message: `No active run for thread '${threadId}'.` }],
  ['transcribe without a service → 503', envelope({ method: 'transcribe', body: { audio: 'AAAA', mimeType: 'audio/webm' } }), 503, { error: 'service_not_configured', message: 'Transcription service is not configured', retryable: false }],
  ['resource/request with a non-relative path → 400', envelope({ method: 'resource/request', params: { path: '//evil.example/threads', httpMethod: 'GET' } }), 400, invalid('Resource path must be Runtime-relative')],
  ['GET on the base path → 405', { method: 'GET' }, 405, { error: 'Method not allowed' }],
  ['PUT on the base path → 405', envelope({ method: 'info' }, { method: 'PUT' }), 405, { error: 'Method not allowed' }],
];

for (const [name, req, status, body, options = {}] of cases) {
  test(name, options, async () => {
    assertJson(await send(req), status, body);
  });
}

test('GET {url}/info → 405 {"error":"Method not allowed"} with Allow: POST (so auto transport falls back)', async () => {
  const res = await send({ method: 'GET', path: `${BASE}/info` });
  assertJson(res, 405, { error: 'Method not allowed' });
  assert.equal(res.headers.allow, 'POST');
});

test('HEAD on the base path → 405 with Allow: POST and no body', async () => {
  const res = await send({ method: 'HEAD' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.allow, 'POST');
  assert.equal(res.body, '');
});

test('OPTIONS preflight (base and sub-path, with and without Origin) → 204 with the permissive CORS headers', async () => {
  for (const [path, headers] of [
    [BASE, { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-custom' }],
    [`${BASE}/info`, {}],
  ]) {
    const res = await send({ method: 'OPTIONS', path, headers });
    assert.equal(res.status, 204, path);
    assert.equal(res.body, '');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-allow-headers'], '*');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS');
    assert.equal(res.headers.vary, 'Access-Control-Request-Headers, Access-Control-Request-Method');
    assert.equal(res.headers['access-control-max-age'], undefined);
    assert.equal(res.headers['content-type'], undefined);
  }
});

test('outside the base path → 404 text/plain "404 Not Found", no CORS', async () => {
  for (const path of ['/', '/api', '/api/copilotkitx', '/other/copilotkit']) {
    const res = await send({ ...envelope({ method: 'info' }), path });
    assert.equal(res.status, 404, path);
    assert.equal(res.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.body, '404 Not Found');
  }
});

test('accepted edge inputs: JSON with a charset, an envelope at a sub-path, extra envelope keys → info', async () => {
  for (const req of [
    envelope({ method: 'info' }, { headers: { 'content-type': 'application/json; charset=utf-8' } }),
    envelope({ method: 'info' }, { path: `${BASE}/agent/default/run` }),
    envelope({ method: 'info', params: { x: 1 }, body: { y: 2 }, extra: true }),
  ]) {
    const res = await send(req);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const info = JSON.parse(res.body);
    assert.equal(info.version, '1.75.0');
    assert.deepEqual(Object.keys(info.agents), ['default']);
    assert.equal(info.mode, 'sse');
  }
});

test('inspector/metadata → 204 no-store; inspector/learning → 404 Not found', async () => {
  const meta = await send(envelope({ method: 'inspector/metadata' }));
  assert.equal(meta.status, 204);
  assert.equal(meta.headers['cache-control'], 'no-store, private');
  assert.equal(meta.body, '');
  const learning = await send(envelope({ method: 'inspector/learning', params: { agentId: 'default' } }));
  assertJson(learning, 404, { error: 'Not found' });
  assert.equal(learning.headers['cache-control'], 'no-store, private');
});
