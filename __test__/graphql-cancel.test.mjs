// GraphQL protocol (react-core ≤ 1.10), cancellation: when the client goes away mid-stream — the
// client's own `signal` (react-core's stop button) or a dropped connection — the runtime drops the
// upstream model request at once (unlike 1.10.6, which let it run on), and keeps serving others.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGraphqlStack, makeClient, chatInput, userMessage, runGenerate, clientQuery, CLIENT_HEADERS, MockGemini, sleep } from './support/graphql-harness.mjs';

const LIMIT_MS = 50;
/** A timer that does not keep the test process alive. */
const later = (ms, value) => new Promise((r) => setTimeout(() => r(value), ms).unref());

let stack;
let stops;
before(async () => {
  stops = [];
  stack = await startGraphqlStack({ runtimeOptions: { onStopGeneration: (p) => stops.push(p) } });
  // Warm-up, not measured: the first abort of a process pays undici's one-time setup (~25 ms
  // in a cold process), which is not the runtime's latency.
  stack.mock.enqueue(slowText());
  const controller = new AbortController();
  const { client } = makeClient(stack.url);
  const done = runGenerate(client, chatInput({ messages: [userMessage('warm up')], threadId: 'warm-up' }), {
    signal: controller.signal,
    onRead: (v) => (v.messages[0]?.content?.length ? controller.abort() : undefined),
  });
  await stack.mock.waitForClientClose(await stack.mock.waitForRequest(1), 3000);
  await Promise.race([done, later(1000)]);
});
after(async () => {
  await stack.close();
});
beforeEach(() => {
  stack.mock.queue.length = 0;
});

/** Where the time went: client → our HTTP server noticing, then our runtime → upstream closed. */
const breakdown = (from, closedAt) => {
  const seen = stack.serverRequests.at(-1).closedAt;
  return `(server saw the disconnect after ${(seen - from).toFixed(1)} ms, upstream closed ${(closedAt - seen).toFixed(1)} ms later)`;
};

/** A long, slow answer: the model is still producing when the client leaves. */
const slowText = () => MockGemini.text(Array.from({ length: 40 }, (_, i) => `tok${i} `), { delayMs: 50 });

test('aborting the client signal mid-stream closes the upstream model connection within 50 ms', async () => {
  const { client } = makeClient(stack.url);
  stack.mock.enqueue(slowText());
  const controller = new AbortController();
  let abortedAt = null;
  const runDone = runGenerate(client, chatInput({ messages: [userMessage('talk a lot')], threadId: 'thread-k' }), {
    signal: controller.signal,
    onRead: (v) => {
      if (abortedAt === null && (v.messages[0]?.content?.length ?? 0) >= 2) {
        abortedAt = performance.now();
        controller.abort();
      }
    },
  });
  const upstream = await stack.mock.waitForRequest(stack.mock.requests.length + 1);
  const closedAt = await stack.mock.waitForClientClose(upstream, 3000);
  assert.ok(abortedAt !== null, 'the client aborted after seeing content');
  assert.ok(closedAt - abortedAt < LIMIT_MS, `upstream closed ${(closedAt - abortedAt).toFixed(1)} ms after the abort ${breakdown(abortedAt, closedAt)}`);
  assert.ok(upstream.writes.length < 10, `the model was cut off early (${upstream.writes.length} of 40 chunks written)`);
  // The client's stream ends without an error surfacing (react-core's stop button path).
  // The client's stream ends; in Node the abort surfaces as urql's network error "This operation
  // was aborted" (browsers say "BodyStreamBuffer was aborted", which asStream suppresses).
  const run = await Promise.race([runDone, later(2000, 'still open')]);
  assert.notEqual(run, 'still open', 'the client stream ended after the abort');
  assert.ok(run.error === null || /abort/i.test(run.error.message), String(run.error));
  assert.deepEqual(run.final.messages[0].content.slice(0, 2), ['tok0 ', 'tok1 ']);
});

test('destroying the connection mid-stream closes the upstream model connection within 50 ms', async () => {
  stack.mock.enqueue(slowText());
  const body = JSON.stringify({
    operationName: 'generateCopilotResponse',
    query: clientQuery('generateCopilotResponse'),
    variables: { data: chatInput({ messages: [userMessage('talk a lot')], threadId: 'thread-k2' }), properties: {} },
  });
  const upstreamP = stack.mock.waitForRequest(stack.mock.requests.length + 1);
  let destroyedAt = null;
  await new Promise((resolve, reject) => {
    const req = http.request(stack.url, { method: 'POST', headers: { ...CLIENT_HEADERS, 'content-length': Buffer.byteLength(body) } }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'], /^multipart\/mixed/);
      let text = '';
      res.on('data', (c) => {
        text += c;
        // Wait for the first content chunk, then pull the plug.
        if (destroyedAt === null && text.includes('"content",1]')) {
          destroyedAt = performance.now();
          req.destroy();
          resolve();
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => (destroyedAt === null ? reject(e) : undefined));
    req.end(body);
  });
  const upstream = await upstreamP;
  const closedAt = await stack.mock.waitForClientClose(upstream, 3000);
  assert.ok(closedAt - destroyedAt < LIMIT_MS, `upstream closed ${(closedAt - destroyedAt).toFixed(1)} ms after the disconnect ${breakdown(destroyedAt, closedAt)}`);
  assert.ok(upstream.writes.length < 10);
});

test('aborting before the model sent its first byte also closes the upstream connection at once', async () => {
  const { client } = makeClient(stack.url);
  stack.mock.enqueue({ ...MockGemini.text(['late']), hang: true }); // headers, then nothing
  const controller = new AbortController();
  const upstreamP = stack.mock.waitForRequest(stack.mock.requests.length + 1);
  const runDone = runGenerate(client, chatInput({ messages: [userMessage('hello?')], threadId: 'thread-k3' }), { signal: controller.signal });
  const upstream = await upstreamP;
  await sleep(30); // the model is "thinking"
  const abortedAt = performance.now();
  controller.abort();
  const closedAt = await stack.mock.waitForClientClose(upstream, 3000);
  assert.ok(closedAt - abortedAt < LIMIT_MS, `upstream closed ${(closedAt - abortedAt).toFixed(1)} ms after the abort ${breakdown(abortedAt, closedAt)}`);
  await Promise.race([runDone, later(1000)]);
});

test('the server keeps answering after cancelled requests', async () => {
  const { client } = makeClient(stack.url);
  stack.mock.enqueue(MockGemini.text(['Still', ' alive']));
  const run = await runGenerate(client, chatInput({ messages: [userMessage('you there?')], threadId: 'thread-k4' }));
  assert.deepEqual(run.final.status, { code: 'Success', __typename: 'SuccessResponseStatus' });
  assert.equal(run.messages[0].content, 'Still alive');
});

test('onStopGeneration was called once for each cancelled request, and not for the finished one', async () => {
  for (let i = 0; i < 100 && stops.length < 4; i++) await sleep(10);
  const threads = stops.map((s) => s.threadId).filter((t) => t !== 'warm-up').sort();
  assert.deepEqual(threads, ['thread-k', 'thread-k2', 'thread-k3']);
  for (const s of stops) assert.equal(s.url, 'http://localhost:3000/');
});
