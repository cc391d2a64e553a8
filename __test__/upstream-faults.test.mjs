// Upstream faults end runs with a specific, actionable error — never a hang — and the adapter's
// retry and timeout options are honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MockGemini } = require('./support/mock-gemini.js');
const { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNodeHttpEndpoint } = require('../index.js');

async function stack(t, adapterOptions) {
  const mock = await MockGemini.start();
  const runtime = new CopilotRuntime();
  const serviceAdapter = new GoogleGenerativeAIAdapter({ apiKey: 'test-key-secret', baseUrl: mock.url, ...adapterOptions });
  const server = http.createServer((req, res) => copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint: '/api' })(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    server.close();
    await mock.close();
  });
  const run = async (threadId) => {
    const started = performance.now();
    const r = await fetch(`http://127.0.0.1:${server.address().port}/api`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'agent/run', params: { agentId: 'default' }, body: { threadId, runId: 'r', messages: [{ id: 'u', role: 'user', content: 'hi' }], tools: [], context: [] } }),
    });
    const text = await r.text();
    const events = text.split('\n\n').filter((f) => f.startsWith('data: ')).map((f) => JSON.parse(f.slice(6)));
    return { status: r.status, events, text, ms: performance.now() - started };
  };
  return { mock, run };
}

test('a hung upstream ends with a TIMEOUT error after firstByteTimeoutMs, not a hang', async (t) => {
  const { mock, run } = await stack(t, { firstByteTimeoutMs: 200, maxRetries: 0 });
  mock.enqueue({ ...MockGemini.text(['late']), firstByteDelayMs: 5000 });
  const r = await run('t-hung');
  const last = r.events.at(-1);
  assert.equal(last.type, 'RUN_ERROR');
  assert.equal(last.code, 'TIMEOUT');
  assert.ok(r.ms < 2000, `ended after ${r.ms} ms`);
});

test('an upstream that goes silent mid-answer ends after idleTimeoutMs with the open message closed', async (t) => {
  const { mock, run } = await stack(t, { idleTimeoutMs: 200, maxRetries: 0 });
  mock.enqueue({ ...MockGemini.text(['first', 'never']), holdOpen: true, finishReason: null, cutAfter: undefined, delayMs: 5000 });
  const r = await run('t-idle');
  const types = r.events.map((e) => e.type);
  assert.deepEqual(types.slice(-2), ['TEXT_MESSAGE_END', 'RUN_ERROR']);
  assert.equal(r.events.at(-1).code, 'TIMEOUT');
});

test('maxRetries: 0 fails a 503 at once; the default retries twice', async (t) => {
  const { mock, run } = await stack(t, { maxRetries: 0 });
  mock.enqueue(MockGemini.error(503, 'The model is overloaded. Please try again later.', 'UNAVAILABLE'));
  const r = await run('t-503');
  assert.equal(mock.requests.length, 1);
  assert.equal(r.events.at(-1).type, 'RUN_ERROR');
  assert.match(r.events.at(-1).message, /overloaded/);
});

test('an unknown model gives an actionable message naming the model, without the key', async (t) => {
  const { mock, run } = await stack(t, { model: 'gemini-1.5-pro' });
  mock.enqueue(MockGemini.error(404, 'models/gemini-1.5-pro is not found for API version v1beta, or is not supported for generateContent.', 'NOT_FOUND'));
  const r = await run('t-404');
  assert.equal(mock.requests.length, 1, '404 is not retried');
  const err = r.events.at(-1);
  assert.equal(err.type, 'RUN_ERROR');
  assert.match(err.message, /gemini-1\.5-pro/);
  assert.equal(err.code, 'MODEL_NOT_FOUND');
  assert.ok(!r.text.includes('test-key-secret'));
});

test('an invalid API key is reported as such and not retried', async (t) => {
  const { mock, run } = await stack(t, {});
  mock.enqueue(MockGemini.error(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }]));
  const r = await run('t-key');
  assert.equal(mock.requests.length, 1);
  assert.equal(r.events.at(-1).code, 'AUTH_FAILED');
  assert.match(r.events.at(-1).message, /API key/);
  assert.ok(!r.text.includes('test-key-secret'));
});
