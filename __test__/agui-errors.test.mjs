// Upstream failures seen through the real client: after the runtime's two retries, a 500 or a 429
// becomes a RUN_ERROR inside the 200 SSE stream, and the client reports it with a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MockGemini, startNodeHttpStack, connectClient, recordEvents, byMethod, types } from './support/agui-harness.mjs';

let stack;
let onErrorEvents;
let failed500; // the 500 run, checked again by the onError hook test
before(async () => {
  onErrorEvents = [];
  stack = await startNodeHttpStack({ runtimeOptions: { onError: (e) => onErrorEvents.push(e) } });
});
after(async () => {
  await stack.close();
});

async function runFailing(script, prompt) {
  const { core, agent, errors } = await connectClient(stack.url);
  const upstreamBefore = stack.mock.requests.length;
  for (let i = 0; i < 3; i++) stack.mock.enqueue(script());
  const events = recordEvents(agent);
  agent.addMessage({ id: `u-${prompt}`, role: 'user', content: prompt });
  const started = performance.now();
  const result = await core.runAgent({ agent });
  const run = stack.requests.filter(byMethod('agent/run')).at(-1);
  return { agent, errors, events, result, run, elapsed: performance.now() - started, upstream: stack.mock.requests.slice(upstreamBefore) };
}

function assertSurfaced({ errors, events, run, agent }, pattern) {
  assert.equal(run.status, 200, 'errors after the head are events, not HTTP statuses');
  assert.deepEqual(types(events), ['RUN_STARTED', 'RUN_ERROR']);
  const err = events[1];
  assert.match(err.message, pattern);
  assert.equal(err.threadId, agent.threadId);
  assert.equal(err.runId, run.envelope.body.runId);
  const surfaced = errors.filter((e) => e.code === 'agent_run_error_event');
  assert.equal(surfaced.length, 1, `the client's onError got the run error once: ${errors.map((e) => e.code)}`);
  assert.match(surfaced[0].error.message, pattern);
  assert.equal(surfaced[0].context.agentId, 'default');
  assert.equal(surfaced[0].context.event.type, 'RUN_ERROR');
  assert.deepEqual(agent.messages.map((m) => m.role), ['user'], 'no assistant message appears');
}

test('upstream 500 three times → RUN_ERROR with the upstream message, surfaced by the client', async () => {
  const r = await runFailing(
    () => MockGemini.error(500, 'An internal error has occurred. Please retry.', 'INTERNAL', undefined, { headers: { 'retry-after-ms': '10' } }),
    'fail-500',
  );
  assert.equal(r.upstream.length, 3, 'one attempt plus two retries');
  assertSurfaced(r, /500/);
  assert.match(r.events[1].message, /An internal error has occurred\. Please retry\./);
  assert.match(r.events[1].message, /3 attempts/);
  assert.ok(r.elapsed < 3000, `retries honoured the short retry-after (${r.elapsed.toFixed(0)} ms)`);
  failed500 = r;
});

test('the runtime onError hook hears about the failed run once (phase sse.subscription)', async () => {
  assert.ok(failed500, 'runs after the 500 test');
  await new Promise((r) => setTimeout(r, 50)); // the hook is called without being awaited
  const reported = onErrorEvents.filter((e) => e.context?.threadId === failed500.agent.threadId);
  assert.equal(reported.length, 1, 'the runtime onError hook heard about it once');
  assert.equal(reported[0].type, 'error');
  assert.equal(reported[0].context.metadata.phase, 'sse.subscription');
  assert.equal(reported[0].context.runId, failed500.run.envelope.body.runId);
  assert.match(reported[0].error.message, /An internal error has occurred/);
  // Every 1.74 client probes GET {url}/info (405) before falling back to the single route: that
  // is protocol, not an error, and must not reach onError on every page load (spec §12.3).
  const probes = onErrorEvents.filter((e) => /\/info$/.test(e.context?.request?.url ?? '') || e.context?.response?.status === 405);
  assert.deepEqual(probes.map((e) => e.error.message), [], 'the transport probe is not reported');
});

test('upstream 429 with RetryInfo three times → RUN_ERROR that says it is a rate limit, surfaced by the client', async () => {
  const r = await runFailing(
    () => MockGemini.error(429, 'Resource has been exhausted (e.g. check quota).', 'RESOURCE_EXHAUSTED', [
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.01s' },
    ]),
    'fail-429',
  );
  assert.equal(r.upstream.length, 3, 'one attempt plus two retries');
  for (let i = 1; i < 3; i++) {
    const gap = r.upstream[i].receivedAt - r.upstream[i - 1].receivedAt;
    assert.ok(gap >= 8, `retry ${i} waited the retryDelay (${gap.toFixed(1)} ms)`);
  }
  assertSurfaced(r, /rate limit|429/i);
  assert.match(r.events[1].message, /Resource has been exhausted/);
  assert.ok(r.elapsed < 3000, `took ${r.elapsed.toFixed(0)} ms`);
});

test('a retry that succeeds is invisible to the client', async () => {
  const { core, agent, errors } = await connectClient(stack.url);
  const upstreamBefore = stack.mock.requests.length;
  stack.mock.enqueue(MockGemini.error(503, 'The model is overloaded.', 'UNAVAILABLE', undefined, { headers: { 'retry-after-ms': '10' } }));
  stack.mock.enqueue(MockGemini.text(['Second', ' time lucky.']));
  const events = recordEvents(agent);
  agent.addMessage({ id: 'u-retry-ok', role: 'user', content: 'retry' });
  await core.runAgent({ agent });
  assert.equal(stack.mock.requests.length - upstreamBefore, 2);
  assert.ok(!types(events).includes('RUN_ERROR'));
  assert.equal(agent.messages.at(-1).content, 'Second time lucky.');
  assert.deepEqual(errors, []);
});
