// The life of one request's callbacks, on BOTH protocols with the real clients: `actions()` is
// resolved once per request and its result released whichever way the request ends (normal end,
// rejection, client gone mid-callback), concurrent requests each run their own action set, an
// async `onBeforeRequest` is awaited before the model is called, the endpoint's server-side
// `properties` reach the callbacks merged under the client's, and handler results are encoded as
// 1.10.6 encodes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  MockGemini, startStack, recorder, sleep, waitFor, aguiClient, aguiRun, runErrorOf, toolNames, declaredTools, functionResponses,
  gqlClient, chatInput, userMessage, gqlRun, outputs, SUCCESS,
} from './support/callbacks-harness.mjs';

const SETTLE_MS = 150;

/**
 * Watch the shim's per-request hook traffic (white box: `runtime._hooks()` is what Rust calls).
 * `outstanding()` = request ids whose actions were resolved (`actions.list`) but never released
 * (`request.done`): the shim keeps the resolved actions of those in memory.
 */
function spyHooks(runtime) {
  const listed = new Set();
  const done = new Set();
  const orig = runtime._hooks.bind(runtime);
  runtime._hooks = () => {
    const h = orig();
    const list = h['actions.list'];
    const fin = h['request.done'];
    h['actions.list'] = async (p) => {
      listed.add(p.requestId);
      return list(p);
    };
    h['request.done'] = async (p) => {
      done.add(p.requestId);
      return fin(p);
    };
    return h;
  };
  return { listed, done, outstanding: () => [...listed].filter((id) => !done.has(id)) };
}

const lookup = { name: 'lookupOrder', description: 'Look up an order', parameters: [{ name: 'id', type: 'string', required: true }], handler: async ({ id }) => ({ id, state: 'shipped' }) };

// -------------------------------------------------------------------------------------------
// Per-request state is released however the request ends

test('AG-UI and GraphQL: the actions resolved for a request are released when it ends normally or is rejected', async (t) => {
  let reject = false;
  const stack = await startStack({
    actions: async () => [lookup],
    middleware: {
      onBeforeRequest: () => {
        if (reject) throw new Error('no');
      },
    },
  });
  t.after(() => stack.close());
  const spy = spyHooks(stack.runtime);
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'lookupOrder', args: { id: 'o-1' } }]), MockGemini.text(['Shipped.']));
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'lookupOrder', args: { id: 'o-2' } }]));
  const c = await aguiClient(stack.url);
  assert.equal(runErrorOf(await aguiRun(c, 'order o-1?')), undefined);
  const { client } = gqlClient(stack.url);
  assert.deepEqual((await gqlRun(client, chatInput({ messages: [userMessage('order o-2?')] }))).final.status, SUCCESS);
  reject = true;
  assert.ok(runErrorOf(await aguiRun(c, 'rejected')));
  assert.ok((await gqlRun(client, chatInput({ messages: [userMessage('rejected')] }))).error);

  await waitFor(() => spy.done.size >= 4, { what: 'request.done for all four requests', timeoutMs: 2000 }).catch(() => {});
  assert.equal(spy.listed.size, 4, 'actions resolved once per request');
  assert.deepEqual(spy.outstanding(), []);
});


test('AG-UI: a client that goes away while actions() is still resolving → the request\'s actions are released', async (t) => {
  const stack = await startStack({
    actions: async () => {
      await sleep(300);
      return [lookup];
    },
  });
  t.after(() => stack.close());
  const spy = spyHooks(stack.runtime);
  const c = await aguiClient(stack.url);
  c.agent.addMessage({ id: 'u-1', role: 'user', content: 'hi' });
  const run = c.core.runAgent({ agent: c.agent }).catch((e) => e);
  await waitFor(() => spy.listed.size === 1, { what: 'actions.list' });
  c.agent.abortRun();
  await run;
  await sleep(300 + SETTLE_MS);
  assert.equal(stack.mock.requests.length, 0, 'the model was not called');
  assert.deepEqual(spy.outstanding(), [], 'request.done for the abandoned request');
});

test('AG-UI: a client that goes away while onBeforeRequest is pending → the request\'s actions are released', async (t) => {
  const stack = await startStack({
    actions: [lookup],
    middleware: { onBeforeRequest: () => sleep(300) },
  });
  t.after(() => stack.close());
  const spy = spyHooks(stack.runtime);
  const c = await aguiClient(stack.url);
  c.agent.addMessage({ id: 'u-1', role: 'user', content: 'hi' });
  const run = c.core.runAgent({ agent: c.agent }).catch((e) => e);
  await waitFor(() => spy.listed.size === 1, { what: 'actions.list' });
  await sleep(20);
  c.agent.abortRun();
  await run;
  await sleep(300 + SETTLE_MS);
  assert.equal(stack.mock.requests.length, 0, 'the model was not called');
  assert.deepEqual(spy.outstanding(), [], 'request.done for the abandoned request');
});


test('GraphQL: a client that aborts while onBeforeRequest is pending → the model is not called and the request\'s actions are released', async (t) => {
  const stack = await startStack({
    actions: [lookup],
    middleware: { onBeforeRequest: () => sleep(300) },
  });
  t.after(() => stack.close());
  const spy = spyHooks(stack.runtime);
  const { client } = gqlClient(stack.url);
  const ac = new AbortController();
  const pending = gqlRun(client, chatInput({ messages: [userMessage('hi')] }), { signal: ac.signal });
  await waitFor(() => spy.listed.size === 1, { what: 'actions.list' });
  await sleep(20);
  ac.abort();
  await pending;
  await sleep(300 + SETTLE_MS);
  assert.equal(stack.mock.requests.length, 0, 'the model was not called for a request whose client is gone');
  assert.deepEqual(spy.outstanding(), [], 'request.done for the abandoned request');
});

// -------------------------------------------------------------------------------------------
// Concurrent requests keep their own action sets

test('AG-UI and GraphQL concurrently: each request executes the actions resolved for its own properties', async (t) => {
  const ran = [];
  const stack = await startStack({
    actions: async ({ properties }) => {
      await sleep(properties.delay ?? 0);
      return [{ name: 'whoAmI', description: 'Who is asking', parameters: [], handler: async () => (ran.push(properties.user), { user: properties.user }) }];
    },
  });
  t.after(() => stack.close());
  // Gemini answers in arrival order; every request gets a call to whoAmI, the AG-UI one then text.
  for (let i = 0; i < 3; i++) stack.mock.enqueue(MockGemini.functionCalls([{ name: 'whoAmI', args: {} }]));
  stack.mock.enqueue(MockGemini.text(['ok']));
  const alice = await aguiClient(stack.url, { properties: { user: 'alice', delay: 60 } });
  const { client } = gqlClient(stack.url);
  const [a, b, c] = await Promise.all([
    aguiRun(alice, 'who am I?'),
    gqlRun(client, chatInput({ messages: [userMessage('who am I?')] }), { properties: { user: 'bob', delay: 30 } }),
    gqlRun(client, chatInput({ messages: [userMessage('who am I?')] }), { properties: { user: 'carol' } }),
  ]);
  assert.equal(runErrorOf(a), undefined);
  assert.deepEqual(JSON.parse(a.find((e) => e.type === 'TOOL_CALL_RESULT').content), { user: 'alice' });
  assert.deepEqual(JSON.parse(outputs(b.final, 'ResultMessageOutput')[0].result), { user: 'bob' });
  assert.deepEqual(JSON.parse(outputs(c.final, 'ResultMessageOutput')[0].result), { user: 'carol' });
  assert.deepEqual(ran.sort(), ['alice', 'bob', 'carol']);
});

// -------------------------------------------------------------------------------------------
// onBeforeRequest is awaited before the model call

test('AG-UI and GraphQL: an async onBeforeRequest is awaited before Gemini is called', async (t) => {
  const finished = [];
  const stack = await startStack({
    middleware: {
      onBeforeRequest: async () => {
        await sleep(80);
        finished.push(performance.now());
      },
    },
  });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['one']), MockGemini.text(['two']));
  const c = await aguiClient(stack.url);
  await aguiRun(c, 'hi');
  const { client } = gqlClient(stack.url);
  await gqlRun(client, chatInput({ messages: [userMessage('hi')] }));
  assert.equal(finished.length, 2);
  assert.equal(stack.mock.requests.length, 2);
  for (let i = 0; i < 2; i++) assert.ok(stack.mock.requests[i].receivedAt >= finished[i], `request ${i} reached Gemini after onBeforeRequest resolved`);
});

// -------------------------------------------------------------------------------------------
// Server-side endpoint properties

test('AG-UI and GraphQL: the endpoint\'s `properties` reach onBeforeRequest and actions(), the client\'s win on conflicts', async (t) => {
  const rec = recorder();
  const seen = [];
  const stack = await startStack(
    { middleware: rec.options.middleware, actions: ({ properties }) => (seen.push(properties), []) },
    { endpointOptions: { properties: { region: 'eu', plan: 'server-default' } } },
  );
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['one']), MockGemini.text(['two']));
  const c = await aguiClient(stack.url, { properties: { plan: 'pro' } });
  await aguiRun(c, 'hi');
  const { client } = gqlClient(stack.url);
  await gqlRun(client, chatInput({ messages: [userMessage('hi')] }), { properties: { plan: 'team' } });
  assert.equal(rec.before.length, 2);
  assert.deepEqual({ region: rec.before[0].properties.region, plan: rec.before[0].properties.plan }, { region: 'eu', plan: 'pro' });
  assert.deepEqual(rec.before[1].properties, { region: 'eu', plan: 'team' });
  assert.deepEqual({ region: seen[0].region, plan: seen[0].plan }, { region: 'eu', plan: 'pro' });
  assert.deepEqual(seen[1], { region: 'eu', plan: 'team' });
});

// -------------------------------------------------------------------------------------------
// Result encoding (spec §5.5/5.6): string as is, undefined → "", anything else → JSON

test('AG-UI and GraphQL: handler results are encoded as 1.10.6 does (string as is, undefined → "", number/array → JSON)', async (t) => {
  const values = { asString: 'plain text', asUndefined: undefined, asNumber: 42, asArray: [1, 'two'], asNull: null };
  const actions = Object.entries(values).map(([name, v]) => ({ name, description: name, parameters: [], handler: async () => v }));
  const stack = await startStack({ actions });
  t.after(() => stack.close());
  const call = MockGemini.functionCalls(Object.keys(values).map((name) => ({ name, args: {} })));
  const expected = { asString: 'plain text', asUndefined: '', asNumber: '42', asArray: '[1,"two"]', asNull: 'null' };

  stack.mock.enqueue(call, MockGemini.text(['done']));
  const c = await aguiClient(stack.url);
  const events = await aguiRun(c, 'all of them');
  const names = Object.fromEntries(events.filter((e) => e.type === 'TOOL_CALL_START').map((e) => [e.toolCallId, e.toolCallName]));
  const agui = Object.fromEntries(events.filter((e) => e.type === 'TOOL_CALL_RESULT').map((e) => [names[e.toolCallId], e.content]));
  assert.deepEqual(agui, expected);
  assert.deepEqual(toolNames(stack.mock.requests[0].body).sort(), Object.keys(values).sort());
  assert.equal(functionResponses(stack.mock.requests[1].body).length, 5, 'the model sees all five results');

  stack.mock.enqueue(call);
  const { client } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [userMessage('all of them')] }));
  assert.deepEqual(r.final.status, SUCCESS);
  const gql = Object.fromEntries(outputs(r.final, 'ResultMessageOutput').map((m) => [m.actionName, m.result]));
  assert.deepEqual(gql, expected);
});

// -------------------------------------------------------------------------------------------
// What Gemini is offered for the user's action definitions

test('AG-UI and GraphQL: server action parameters are offered as 1.10.6 actionParametersToJsonSchema builds them; available:"disabled" is not offered', async (t) => {
  const shared = createRequire(import.meta.url)('@copilotkit/shared');
  const params = [
    { name: 'city', type: 'string', description: 'The city', required: true },
    { name: 'unit', type: 'string', enum: ['C', 'F'] },
    { name: 'days', type: 'number', required: false },
    { name: 'tags', type: 'string[]', description: 'Tags' },
    { name: 'where', type: 'object', attributes: [{ name: 'lat', type: 'number' }, { name: 'lng', type: 'number', required: false }] },
    { name: 'stops', type: 'object[]', attributes: [{ name: 'name', type: 'string' }] },
    { name: 'flag', type: 'boolean' },
  ];
  const stack = await startStack({
    actions: [
      { name: 'rich', description: 'Every parameter kind', parameters: params, handler: async () => 'ok' },
      { name: 'hidden', description: 'Switched off', available: 'disabled', parameters: [], handler: async () => 'never' },
      { name: 'bare', handler: async () => 'ok' },
    ],
  });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['one']), MockGemini.text(['two']));
  const c = await aguiClient(stack.url);
  await aguiRun(c, 'hi');
  const { client } = gqlClient(stack.url);
  await gqlRun(client, chatInput({ messages: [userMessage('hi')] }));
  for (const req of stack.mock.requests) {
    assert.deepEqual(toolNames(req.body).sort(), ['bare', 'rich']);
    const decls = Object.fromEntries(declaredTools(req.body).map((d) => [d.name, d]));
    assert.equal(decls.rich.description, 'Every parameter kind');
    assert.deepEqual(decls.rich.parameters ?? decls.rich.parametersJsonSchema, JSON.parse(JSON.stringify(shared.actionParametersToJsonSchema(params))));
    assert.equal(decls.bare.description ?? '', '', 'description defaults to ""');
  }
});
