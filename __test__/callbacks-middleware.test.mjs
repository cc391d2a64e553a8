// `middleware.onBeforeRequest` / `onAfterRequest` on BOTH protocols with the real clients: each is
// called exactly once per request, with the 1.10.6 argument objects (message class instances,
// assembled output, properties, url); a throwing `onBeforeRequest` rejects the request before
// the model is called; the GraphQL client's public API key reaches the callbacks as
// `properties.copilotCloudPublicApiKey`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MockGemini, startStack, recorder, sleep, waitFor, aguiClient, aguiRun, types, runErrorOf,
  gqlClient, chatInput, userMessage, gqlRun, SUCCESS, PAGE_URL,
} from './support/callbacks-harness.mjs';

const WEATHER = { city: 'Paris', temperature: 21 };
const weather = { name: 'getWeather', description: 'Weather', parameters: [{ name: 'city', type: 'string', required: true }], handler: async ({ city }) => ({ city, temperature: 21 }) };

/** Settle time after the last awaited callback, to see a duplicate call if there were one. */
const SETTLE_MS = 100;

function assertMessageClass(m, type) {
  assert.equal(m.type, type);
  assert.equal(typeof m.isTextMessage, 'function', `${type} is a message class instance`);
  assert.equal(m.isTextMessage(), type === 'TextMessage');
  assert.equal(m.isActionExecutionMessage(), type === 'ActionExecutionMessage');
  assert.equal(m.isResultMessage(), type === 'ResultMessage');
  assert.ok(m.createdAt instanceof Date, `${type}.createdAt is a Date`);
  assert.equal(typeof m.id, 'string');
}

// -------------------------------------------------------------------------------------------
// 6. Called exactly once each per request, with the right arguments

test('AG-UI: onBeforeRequest and onAfterRequest once per run, with threadId, runId, message instances, the assembled output, properties and url', async (t) => {
  const rec = recorder();
  const stack = await startStack({ middleware: rec.options.middleware, actions: [weather] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Paris' } }]));
  stack.mock.enqueue(MockGemini.text(['It is 21°C', ' in Paris.']));
  const c = await aguiClient(stack.url, { properties: { userId: 'u-1' } });
  const events = await aguiRun(c, 'Weather in Paris?', { id: 'u-msg-1' });
  assert.equal(runErrorOf(events), undefined, runErrorOf(events)?.message);
  const runId = events.find((e) => e.type === 'RUN_STARTED').runId;
  await waitFor(() => rec.after.length >= 1, { what: 'onAfterRequest' });
  await sleep(SETTLE_MS);
  assert.equal(rec.before.length, 1, 'onBeforeRequest once (not for info, not per model call)');
  assert.equal(rec.after.length, 1, 'onAfterRequest once');

  const [b] = rec.before;
  assert.deepEqual(Object.keys(b).sort(), ['inputMessages', 'properties', 'runId', 'threadId', 'url']);
  assert.equal(b.threadId, c.agent.threadId);
  assert.equal(b.runId, runId);
  assert.equal(b.url, stack.url);
  assert.equal(b.properties.userId, 'u-1');
  const user = b.inputMessages.find((m) => m.id === 'u-msg-1');
  assert.ok(user, `the user message is among inputMessages: ${JSON.stringify(b.inputMessages)}`);
  assertMessageClass(user, 'TextMessage');
  assert.equal(user.role, 'user');
  assert.equal(user.content, 'Weather in Paris?');

  const [a] = rec.after;
  assert.equal(a.threadId, c.agent.threadId);
  assert.equal(a.runId, runId);
  assert.equal(a.url, stack.url);
  assert.equal(a.properties.userId, 'u-1');
  assert.ok(a.inputMessages.find((m) => m.id === 'u-msg-1')?.isTextMessage());
  assert.deepEqual(a.outputMessages.map((m) => m.type), ['ActionExecutionMessage', 'ResultMessage', 'TextMessage']);
  const [call, result, text] = a.outputMessages;
  assertMessageClass(call, 'ActionExecutionMessage');
  assertMessageClass(result, 'ResultMessage');
  assertMessageClass(text, 'TextMessage');
  const callEvent = events.find((e) => e.type === 'TOOL_CALL_START');
  assert.equal(call.id, callEvent.toolCallId);
  assert.equal(call.name, 'getWeather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' }, 'arguments: the joined JSON text (1.10.6 assembles a string)');
  assert.equal(result.actionExecutionId, call.id);
  assert.equal(result.actionName, 'getWeather');
  assert.deepEqual(JSON.parse(result.result), WEATHER);
  assert.equal(text.role, 'assistant');
  assert.equal(text.content, 'It is 21°C in Paris.');
});

test('GraphQL: onBeforeRequest and onAfterRequest once per request (2 requests: action, follow-up), with the 1.10.6 argument objects', async (t) => {
  const rec = recorder();
  const stack = await startStack({ middleware: rec.options.middleware, actions: [weather] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Paris' } }]));
  stack.mock.enqueue(MockGemini.text(['It is 21°C', ' in Paris.']));
  const { client, gqlErrors } = gqlClient(stack.url);
  const history = [userMessage('Weather in Paris?', 'ck-user-1')];
  const threadId = 'thread-mw';
  const r1 = await gqlRun(client, chatInput({ messages: history, threadId }), { properties: { userId: 'u-1' } });
  assert.deepEqual(r1.final.status, SUCCESS);
  await waitFor(() => rec.after.length >= 1, { what: 'onAfterRequest of request 1' });
  const r2 = await gqlRun(client, chatInput({ messages: [...history, ...r1.messages], threadId }), { properties: { userId: 'u-1' } });
  assert.deepEqual(r2.final.status, SUCCESS);
  await waitFor(() => rec.after.length >= 2, { what: 'onAfterRequest of request 2' });
  await sleep(SETTLE_MS);
  assert.deepEqual(gqlErrors, []);
  assert.equal(rec.before.length, 2, 'onBeforeRequest once per request');
  assert.equal(rec.after.length, 2, 'onAfterRequest once per request');

  // Request 1 (capture c-server-action/hooks.jsonl): system + user in, action + result out.
  const [b1, b2] = rec.before;
  const [a1, a2] = rec.after;
  assert.deepEqual(Object.keys(b1).sort(), ['inputMessages', 'properties', 'runId', 'threadId', 'url']);
  assert.equal(b1.threadId, threadId);
  assert.equal(b1.runId, null, 'runId: the request value (null), as 1.10.6 passes it');
  assert.equal(b1.url, PAGE_URL);
  assert.deepEqual(b1.properties, { userId: 'u-1' });
  assert.deepEqual(b1.inputMessages.map((m) => [m.type, m.role]), [['TextMessage', 'system'], ['TextMessage', 'user']]);
  const user = b1.inputMessages[1];
  assertMessageClass(user, 'TextMessage');
  assert.equal(user.id, 'ck-user-1');
  assert.equal(user.content, 'Weather in Paris?');

  assert.equal(a1.threadId, threadId);
  assert.equal(a1.url, PAGE_URL);
  assert.deepEqual(a1.properties, { userId: 'u-1' });
  assert.deepEqual(a1.inputMessages.map((m) => m.type), ['TextMessage', 'TextMessage']);
  assert.deepEqual(a1.outputMessages.map((m) => m.type), ['ActionExecutionMessage', 'ResultMessage']);
  const [call, result] = a1.outputMessages;
  assertMessageClass(call, 'ActionExecutionMessage');
  assertMessageClass(result, 'ResultMessage');
  const wireCall = r1.final.messages.find((m) => m.__typename === 'ActionExecutionMessageOutput');
  assert.equal(call.id, wireCall.id);
  assert.equal(call.name, 'getWeather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
  assert.equal(result.id, `result-${call.id}`);
  assert.equal(result.actionExecutionId, call.id);
  assert.equal(result.actionName, 'getWeather');
  assert.equal(result.result, JSON.stringify(WEATHER));

  // Request 2: the history in (action arguments as an object), the assistant text out.
  assert.deepEqual(b2.inputMessages.map((m) => m.type), ['TextMessage', 'TextMessage', 'ActionExecutionMessage', 'ResultMessage']);
  const inCall = b2.inputMessages[2];
  assertMessageClass(inCall, 'ActionExecutionMessage');
  assert.deepEqual(inCall.arguments, { city: 'Paris' });
  assert.equal(inCall.id, call.id);
  assert.equal(b2.inputMessages[3].actionExecutionId, call.id);
  assert.deepEqual(a2.outputMessages.map((m) => [m.type, m.role, m.content]), [['TextMessage', 'assistant', 'It is 21°C in Paris.']]);
  assertMessageClass(a2.outputMessages[0], 'TextMessage');
});

// -------------------------------------------------------------------------------------------
// 7. A throwing onBeforeRequest rejects the request; the model is never called

const rejecting = (after) => ({
  onBeforeRequest: async () => {
    await sleep(1);
    throw new Error('Access denied: quota exceeded');
  },
  onAfterRequest: (o) => void after.push(o),
});

test('AG-UI: onBeforeRequest throws → RUN_ERROR with its message, surfaced by the client; Gemini never called', async (t) => {
  const after = [];
  const stack = await startStack({ middleware: rejecting(after) });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['must not be sent']));
  const c = await aguiClient(stack.url);
  let thrown = null;
  let events = [];
  try {
    events = await aguiRun(c, 'hi');
  } catch (e) {
    thrown = e;
    events = c.events;
  }
  const err = runErrorOf(events);
  assert.ok(err, `a RUN_ERROR: ${types(events)} ${thrown?.message ?? ''}`);
  assert.match(err.message, /Access denied: quota exceeded/);
  assert.equal(err.code, 'MIDDLEWARE_REJECTED');
  assert.equal(types(events).at(-1), 'RUN_ERROR');
  assert.ok(!types(events).includes('TEXT_MESSAGE_START'));
  const surfaced = c.errors.find((e) => e.code === 'agent_run_error_event');
  assert.ok(surfaced, `the client emitted onError: ${c.errors.map((e) => e.code)}`);
  assert.match(surfaced.error?.message ?? '', /Access denied: quota exceeded/);
  await sleep(SETTLE_MS);
  assert.equal(stack.mock.requests.length, 0, 'the model was never called');
  assert.deepEqual(after, [], 'no onAfterRequest for a rejected request');
});

test('GraphQL: onBeforeRequest throws → a GraphQL error with its message, surfaced by the client; Gemini never called', async (t) => {
  const after = [];
  const stack = await startStack({ middleware: rejecting(after) });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['must not be sent']));
  const { client, gqlErrors } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [userMessage('hi')] }));
  const message = r.error?.message ?? r.final?.status?.reason ?? '';
  assert.match(message, /Access denied: quota exceeded/, `the error the client sees: ${JSON.stringify(r.final)}`);
  assert.ok(r.error, 'the client\'s stream fails (field error → data: null)');
  assert.equal(gqlErrors.length, 1, 'handleGQLErrors called once (react-core shows it)');
  assert.match(gqlErrors[0].message, /Access denied: quota exceeded/);
  assert.ok(!(r.final?.messages ?? []).length, 'no messages');
  await sleep(SETTLE_MS);
  assert.equal(stack.mock.requests.length, 0, 'the model was never called');
  assert.deepEqual(after, [], 'no onAfterRequest for a rejected request');
});

// -------------------------------------------------------------------------------------------
// 11. x-copilotcloud-public-api-key → properties.copilotCloudPublicApiKey (GraphQL client option)

test('GraphQL: the client\'s publicApiKey (x-copilotcloud-public-api-key) is properties.copilotCloudPublicApiKey for onBeforeRequest and actions({properties})', async (t) => {
  const rec = recorder();
  const actionProps = [];
  const stack = await startStack({
    middleware: rec.options.middleware,
    actions: ({ properties }) => {
      actionProps.push(properties);
      return [weather];
    },
  });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Hello with key.']));
  const { client, gqlErrors } = gqlClient(stack.url, { publicApiKey: 'ck_pub_test_123' });
  const r = await gqlRun(client, chatInput({ messages: [userMessage('Hi with key')] }), { properties: { userId: 'u-9' } });
  assert.deepEqual(r.final.status, SUCCESS);
  assert.deepEqual(gqlErrors, []);
  await waitFor(() => rec.after.length === 1, { what: 'onAfterRequest' });

  const expected = { userId: 'u-9', copilotCloudPublicApiKey: 'ck_pub_test_123' };
  assert.equal(rec.before.length, 1);
  assert.deepEqual(rec.before[0].properties, expected);
  assert.deepEqual(rec.after[0].properties, expected);
  assert.equal(actionProps.length, 1);
  assert.deepEqual(actionProps[0], expected);
});

test('GraphQL: without a public API key there is no copilotCloudPublicApiKey property', async (t) => {
  const rec = recorder();
  const stack = await startStack({ middleware: rec.options.middleware });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Hello.']));
  const { client } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [userMessage('Hi')] }), { properties: { userId: 'u-9' } });
  assert.deepEqual(r.final.status, SUCCESS);
  assert.deepEqual(rec.before[0].properties, { userId: 'u-9' });
});

test('GraphQL: inputMessages keep the createdAt the client sent (1.10.6 passes the request\'s message dates through)', async (t) => {
  const rec = recorder();
  const stack = await startStack({ middleware: rec.options.middleware });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Hello.']));
  const user = userMessage('Hi', 'ck-dated');
  user.createdAt = new Date('2026-01-02T03:04:05.678Z');
  const { client } = gqlClient(stack.url);
  const r = await gqlRun(client, chatInput({ messages: [user] }));
  assert.deepEqual(r.final.status, SUCCESS);
  const seen = rec.before[0].inputMessages.find((m) => m.id === 'ck-dated');
  assert.ok(seen.createdAt instanceof Date);
  assert.equal(seen.createdAt.toISOString(), '2026-01-02T03:04:05.678Z');
});
