// `onError` and `onStopGeneration` on BOTH protocols with the real clients: structured error events
// for an upstream failure and for a throwing handler (no Copilot Cloud key needed), an `onError`
// that throws or rejects changes nothing for the request or the process, a client going away
// mid-run calls `onStopGeneration`, and a whole process full of throwing callbacks exits 0 under
// `--unhandled-rejections=strict`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  MockGemini, startStack, recorder, sleep, waitFor, aguiClient, aguiRun, types, runErrorOf,
  gqlClient, chatInput, userMessage, gqlRun, SUCCESS, PAGE_URL, handlerError,
} from './support/callbacks-harness.mjs';

/** Settle time after the last awaited callback, to see a duplicate call if there were one. */
const SETTLE_MS = 100;

/** Gemini answers 500 to the first try and both retries (retry-after-ms keeps the retries fast). */
function upstream500(mock) {
  for (let i = 0; i < 3; i++) {
    mock.enqueue(MockGemini.error(500, 'Internal error encountered.', 'INTERNAL', undefined, { headers: { 'retry-after-ms': '1' } }));
  }
}

const exploding = {
  name: 'explode',
  description: 'Always fails',
  parameters: [],
  handler: async () => {
    throw new Error('the weather station is on fire');
  },
};

function assertErrorEvent(ev, { threadId, message }) {
  assert.equal(ev.type, 'error');
  assert.equal(typeof ev.timestamp, 'number');
  assert.ok(Math.abs(Date.now() - ev.timestamp) < 60_000, `timestamp is epoch milliseconds: ${ev.timestamp}`);
  assert.equal(typeof ev.context, 'object');
  assert.equal(ev.context.source, 'runtime');
  assert.equal(ev.context.threadId, threadId, `context.threadId: ${JSON.stringify(ev.context)}`);
  assert.ok(ev.error instanceof Error, 'error is an Error');
  assert.match(ev.error.message, message);
}

// -------------------------------------------------------------------------------------------
// 8. onError: upstream 500 and a throwing handler, without any Copilot Cloud key

test('AG-UI: an upstream 500 → one structured onError event (type, timestamp, context.threadId/runId, error.message)', async (t) => {
  const rec = recorder();
  const stack = await startStack({ onError: rec.options.onError });
  t.after(() => stack.close());
  upstream500(stack.mock);
  const c = await aguiClient(stack.url, { headers: { authorization: 'Bearer secret-token', 'x-tenant': 'acme' } });
  const events = await aguiRun(c, 'please fail');
  const err = runErrorOf(events);
  assert.ok(err, `the client got a RUN_ERROR: ${types(events)}`);
  assert.equal(stack.mock.requests.length, 3, 'first try and two retries');

  const ev = await waitFor(() => rec.errors[0], { what: 'onError' });
  await sleep(SETTLE_MS);
  assert.equal(rec.errors.length, 1, 'once per failed run');
  assertErrorEvent(ev, { threadId: c.agent.threadId, message: /Internal error encountered/ });
  assert.equal(ev.context.runId, events.find((e) => e.type === 'RUN_STARTED').runId);
  // The request headers are reported without credentials (spec §12.3).
  const headers = ev.context.request?.headers ?? {};
  assert.equal(headers['x-tenant'], 'acme');
  assert.equal(headers.authorization, undefined, 'authorization is never handed to onError');
});

test('GraphQL: an upstream 500 → one structured onError event (type, timestamp, context.threadId, error.message) without a public API key', async (t) => {
  const rec = recorder();
  const stack = await startStack({ onError: rec.options.onError });
  t.after(() => stack.close());
  upstream500(stack.mock);
  const { client } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [userMessage('please fail500')], threadId: 'thread-f' }));
  assert.equal(r.final?.status?.code, 'Failed', `the client sees a failed status: ${JSON.stringify(r.final?.status)}`);
  assert.equal(stack.mock.requests.length, 3);

  const ev = await waitFor(() => rec.errors[0], { what: 'onError' });
  await sleep(SETTLE_MS);
  assert.equal(rec.errors.length, 1, 'once per failure');
  assertErrorEvent(ev, { threadId: 'thread-f', message: /Internal error encountered/ });
  assert.equal(ev.context.request.url, PAGE_URL);
});


test('AG-UI: a throwing handler → structured onError event with the run\'s threadId', async (t) => {
  const rec = recorder();
  const stack = await startStack({ actions: [exploding], onError: rec.options.onError });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]), MockGemini.text(['Sorry.']));
  const c = await aguiClient(stack.url);
  const events = await aguiRun(c, 'explode');
  assert.equal(events.find((e) => e.type === 'TOOL_CALL_RESULT').content, handlerError('the weather station is on fire'));
  const ev = await waitFor(() => rec.errors[0], { what: 'onError' });
  await sleep(SETTLE_MS);
  assert.equal(rec.errors.length, 1);
  assertErrorEvent(ev, { threadId: c.agent.threadId, message: /the weather station is on fire/ });
});

test('GraphQL: a throwing handler → structured onError event with the request\'s threadId', async (t) => {
  const rec = recorder();
  const stack = await startStack({ actions: [exploding], onError: rec.options.onError });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]));
  const { client } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [userMessage('explode')], threadId: 'thread-c3' }));
  assert.deepEqual(r.final.status, SUCCESS);
  const ev = await waitFor(() => rec.errors[0], { what: 'onError' });
  await sleep(SETTLE_MS);
  assert.equal(rec.errors.length, 1);
  assertErrorEvent(ev, { threadId: 'thread-c3', message: /the weather station is on fire/ });
});

test('AG-UI: connecting the real client (its GET {url}/info probe answered 405, then the single route) calls no onError', async (t) => {
  const rec = recorder();
  const stack = await startStack({ onError: rec.options.onError });
  t.after(() => stack.close());
  const c = await aguiClient(stack.url);
  assert.equal(c.core.runtimeConnectionStatus, 'connected');
  await sleep(SETTLE_MS);
  assert.deepEqual(rec.errors.map((e) => `${e.context?.request?.method} ${e.context?.request?.url}: ${e.error?.message}`), []);
});

// -------------------------------------------------------------------------------------------
// 9. An onError that throws or rejects changes nothing

const badOnErrors = {
  throws: (seen) => (e) => {
    seen.push(e);
    throw new Error('onError itself blew up');
  },
  rejects: (seen) => async (e) => {
    seen.push(e);
    await sleep(1);
    throw new Error('onError itself rejected');
  },
  // Not even an Error.
  'rejects with a non-Error': (seen) => (e) => {
    seen.push(e);
    return Promise.reject({ weird: true });
  },
};

for (const [how, make] of Object.entries(badOnErrors)) {
  test(`AG-UI: an onError that ${how} → the run completes normally (handler failure) and the next run works`, async (t) => {
    const seen = [];
    const stack = await startStack({ actions: [exploding], onError: make(seen) });
    t.after(() => stack.close());
    stack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]), MockGemini.text(['Sorry, it failed.']));
    const c = await aguiClient(stack.url);
    const events = await aguiRun(c, 'explode');
    assert.equal(runErrorOf(events), undefined, runErrorOf(events)?.message);
    assert.equal(events.at(-1).type, 'RUN_FINISHED');
    assert.equal(c.agent.messages.at(-1).content, 'Sorry, it failed.');
    await waitFor(() => seen.length >= 1, { what: 'onError to be called' });

    // An upstream failure reports through the same onError; the client still gets a clean RUN_ERROR.
    upstream500(stack.mock);
    const failed = await aguiRun(c, 'fail now');
    assert.ok(runErrorOf(failed), types(failed).join(','));
    await waitFor(() => seen.length >= 2, { what: 'onError for the upstream failure' });

    stack.mock.enqueue(MockGemini.text(['Still alive.']));
    const ok = await aguiRun(c, 'still there?');
    assert.equal(ok.at(-1).type, 'RUN_FINISHED');
    assert.equal(c.agent.messages.at(-1).content, 'Still alive.');
  });

  test(`GraphQL: an onError that ${how} → the request completes normally (handler failure) and the next request works`, async (t) => {
    const seen = [];
    const stack = await startStack({ actions: [exploding], onError: make(seen) });
    t.after(() => stack.close());
    stack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]));
    const { client, gqlErrors } = gqlClient(stack.url);
    const r1 = await gqlRun(client, chatInput({ messages: [userMessage('explode')] }));
    assert.equal(r1.error, null, r1.error?.message);
    assert.deepEqual(r1.final.status, SUCCESS);
    await waitFor(() => seen.length >= 1, { what: 'onError to be called' });

    upstream500(stack.mock);
    const r2 = await gqlRun(client, chatInput({ messages: [userMessage('fail now')] }));
    assert.equal(r2.final?.status?.code, 'Failed');
    await waitFor(() => seen.length >= 2, { what: 'onError for the upstream failure' });

    stack.mock.enqueue(MockGemini.text(['Still alive.']));
    const r3 = await gqlRun(client, chatInput({ messages: [userMessage('still there?')] }));
    assert.deepEqual(r3.final.status, SUCCESS);
    assert.equal(r3.messages.at(-1).content, 'Still alive.');
    assert.deepEqual(gqlErrors, []);
  });
}

// -------------------------------------------------------------------------------------------
// 10. onStopGeneration when the client stops / disconnects mid-run

/** Two deltas, then the upstream answer stays open until the runtime hangs up. */
const neverEnding = () => MockGemini.text(['Counting:', ' one'], { holdOpen: true, finishReason: null });

test('AG-UI: the client stops the run (core.stopAgent) → onStopGeneration({threadId, runId, url, agentName}) once; upstream cancelled', async (t) => {
  const rec = recorder();
  const stack = await startStack(rec.options);
  t.after(() => stack.close());
  stack.mock.enqueue(neverEnding());
  const c = await aguiClient(stack.url);
  c.agent.addMessage({ id: 'u-stop', role: 'user', content: 'Count forever' });
  const run = c.core.runAgent({ agent: c.agent });
  await waitFor(() => c.events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').length === 2, { what: 'the two deltas' });
  const runId = c.events.find((e) => e.type === 'RUN_STARTED').runId;
  c.core.stopAgent({ agent: c.agent });
  await stack.mock.waitForClientClose(stack.mock.requests[0], 2000);
  await run;

  const stop = await waitFor(() => rec.stops[0], { what: 'onStopGeneration' });
  await sleep(SETTLE_MS);
  assert.equal(rec.stops.length, 1);
  assert.equal(stop.threadId, c.agent.threadId);
  assert.equal(stop.runId, runId);
  assert.equal(stop.url, stack.url);
  assert.equal(stop.agentName, 'default');
  assert.deepEqual(rec.errors, [], 'a stop is not an error');
});

test('AG-UI: the client aborts its run (agent.abortRun) → onStopGeneration once; upstream cancelled', async (t) => {
  const rec = recorder();
  const stack = await startStack(rec.options);
  t.after(() => stack.close());
  stack.mock.enqueue(neverEnding());
  const c = await aguiClient(stack.url);
  c.agent.addMessage({ id: 'u-abort', role: 'user', content: 'Count forever' });
  const run = c.core.runAgent({ agent: c.agent }).catch((e) => e);
  await waitFor(() => c.events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').length === 2, { what: 'the two deltas' });
  c.agent.abortRun();
  await stack.mock.waitForClientClose(stack.mock.requests[0], 2000);
  await run;

  const stop = await waitFor(() => rec.stops[0], { what: 'onStopGeneration' });
  await sleep(SETTLE_MS);
  assert.equal(rec.stops.length, 1);
  assert.equal(stop.threadId, c.agent.threadId);
  assert.equal(stop.agentName, 'default');
});

test('AG-UI: a run that ends normally does not call onStopGeneration', async (t) => {
  const rec = recorder();
  const stack = await startStack(rec.options);
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Done.']));
  const c = await aguiClient(stack.url);
  await aguiRun(c, 'hi');
  await waitFor(() => rec.after.length === 1, { what: 'onAfterRequest' });
  await sleep(SETTLE_MS);
  assert.deepEqual(rec.stops, []);
});

test('GraphQL: the client aborts its signal mid-stream → onStopGeneration({threadId, url}) once; upstream cancelled', async (t) => {
  const rec = recorder();
  const stack = await startStack(rec.options);
  t.after(() => stack.close());
  stack.mock.enqueue(neverEnding());
  const { client } = gqlClient(stack.url);
  const ac = new AbortController();
  const r = await gqlRun(client, chatInput({ messages: [userMessage('Hi, long answer')], threadId: 'thread-k' }), {
    signal: ac.signal,
    onRead: (v) => {
      const text = v?.messages?.find((m) => m.__typename === 'TextMessageOutput');
      if (text && (text.content ?? []).join('') === 'Counting: one') ac.abort();
    },
  });
  assert.ok(ac.signal.aborted, `the client aborted after the two deltas (${r.reads.length} reads)`);
  await stack.mock.waitForClientClose(stack.mock.requests[0], 2000);

  const stop = await waitFor(() => rec.stops[0], { what: 'onStopGeneration' });
  await sleep(SETTLE_MS);
  assert.equal(rec.stops.length, 1);
  assert.equal(stop.threadId, 'thread-k');
  assert.equal(stop.url, PAGE_URL);
  assert.deepEqual(rec.after, [], 'an aborted request has no onAfterRequest');
});

test('GraphQL: a request that ends normally does not call onStopGeneration', async (t) => {
  const rec = recorder();
  const stack = await startStack(rec.options);
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Done.']));
  const { client } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [userMessage('hi')] }));
  assert.deepEqual(r.final.status, SUCCESS);
  await waitFor(() => rec.after.length === 1, { what: 'onAfterRequest' });
  await sleep(SETTLE_MS);
  assert.deepEqual(rec.stops, []);
});

const slowHandler = (started) => ({
  name: 'slowReport',
  description: 'Takes a while',
  parameters: [],
  handler: async () => {
    started.push(performance.now());
    await sleep(300);
    return 'report ready';
  },
});

test('AG-UI: the client aborts while a server action handler runs → onStopGeneration once; the model is not called again', async (t) => {
  const rec = recorder();
  const started = [];
  const stack = await startStack({ ...rec.options, actions: [slowHandler(started)] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'slowReport', args: {} }]), MockGemini.text(['must not be asked']));
  const c = await aguiClient(stack.url);
  c.agent.addMessage({ id: 'u-slow', role: 'user', content: 'report' });
  const run = c.core.runAgent({ agent: c.agent }).catch((e) => e);
  await waitFor(() => started.length === 1, { what: 'the handler to start' });
  c.agent.abortRun();
  await run;
  const stop = await waitFor(() => rec.stops[0], { what: 'onStopGeneration' });
  await sleep(300 + SETTLE_MS);
  assert.equal(rec.stops.length, 1);
  assert.equal(stop.threadId, c.agent.threadId);
  assert.equal(stack.mock.requests.length, 1, 'no second model call after the client left');
  assert.deepEqual(rec.after, [], 'no onAfterRequest for a run that did not finish');
});

test('GraphQL: the client aborts while a server action handler runs → onStopGeneration once', async (t) => {
  const rec = recorder();
  const started = [];
  const stack = await startStack({ ...rec.options, actions: [slowHandler(started)] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'slowReport', args: {} }]));
  const { client } = gqlClient(stack.url);
  const ac = new AbortController();
  const pending = gqlRun(client, chatInput({ messages: [userMessage('report')], threadId: 'thread-slow' }), { signal: ac.signal });
  await waitFor(() => started.length === 1, { what: 'the handler to start' });
  ac.abort();
  await pending;
  const stop = await waitFor(() => rec.stops[0], { what: 'onStopGeneration' });
  await sleep(300 + SETTLE_MS);
  assert.equal(rec.stops.length, 1);
  assert.equal(stop.threadId, 'thread-slow');
});

test('GraphQL: the client aborts while onBeforeRequest is pending → onStopGeneration (1.10.6 listens for the abort before anything else, spec §5.2.1)', async (t) => {
  const rec = recorder();
  const stack = await startStack({ ...rec.options, middleware: { onBeforeRequest: () => sleep(300) } });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['must not be asked']));
  const { client } = gqlClient(stack.url);
  const ac = new AbortController();
  const pending = gqlRun(client, chatInput({ messages: [userMessage('hi')], threadId: 'thread-early' }), { signal: ac.signal });
  await sleep(100);
  ac.abort();
  await pending;
  await sleep(300 + SETTLE_MS);
  assert.equal(stack.mock.requests.length, 0, 'the model was not called');
  assert.equal(rec.stops.length, 1, 'onStopGeneration once');
  assert.equal(rec.stops[0].threadId, 'thread-early');
});

// -------------------------------------------------------------------------------------------
// 12. A whole process of throwing callbacks, under --unhandled-rejections=strict

test('a child `node --unhandled-rejections=strict` doing full runs with throwing callbacks on both protocols exits 0 on its own', async () => {
  const script = fileURLToPath(new URL('./support/callbacks-child.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  assert.equal(signal, null, `the child did not exit on its own within 20 s (killed). stdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.equal(code, 0, `exit code ${code}. stdout:\n${stdout}\nstderr:\n${stderr}`);
  const summaryLine = stdout.split('\n').find((l) => l.startsWith('SUMMARY '));
  assert.ok(summaryLine, `the child printed its summary. stdout:\n${stdout}\nstderr:\n${stderr}`);
  const summary = JSON.parse(summaryLine.slice('SUMMARY '.length));
  // Every request completed as a request of that kind should, whatever the callbacks did.
  assert.deepEqual(summary.outcomes, {
    aguiHandlerThrows: 'RUN_FINISHED',
    aguiUpstream500: 'RUN_ERROR',
    aguiBeforeRejects: 'RUN_ERROR',
    aguiActionsFnThrows: 'RUN_ERROR',
    aguiStopped: 'stopped',
    gqlHandlerThrows: 'Success',
    gqlUpstream500: 'Failed',
    gqlBeforeRejects: 'error',
    gqlActionsFnThrows: 'error',
    gqlAborted: 'aborted',
  });
  // And the throwing callbacks were really called.
  for (const k of ['onError', 'onAfterRequest', 'onStopGeneration', 'onBeforeRequest', 'handler', 'actionsFn']) {
    assert.ok(summary.calls[k] > 0, `${k} was called in the child: ${JSON.stringify(summary.calls)}`);
  }
});
