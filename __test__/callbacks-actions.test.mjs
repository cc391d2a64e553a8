// Server-side `actions` (the user's JavaScript handlers) on BOTH protocols with the real clients:
// results reach the client and the next model call, a throwing handler becomes the HANDLER_ERROR
// result (and an `onError` event) without failing the request, `actions({properties, url})`
// chooses the tools per request, the AG-UI built-in agent loops over several server steps, and a
// model turn mixing a server and a frontend call runs each where it belongs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  MockGemini, startStack, recorder, sleep, waitFor, aguiClient, aguiRun, types, runErrorOf, toolNames, functionResponses, functionCalls,
  gqlClient, chatInput, userMessage, gqlRun, outputs, frontendAction, runFrontendActions, SUCCESS, MSG_SUCCESS, handlerError, PAGE_URL,
} from './support/callbacks-harness.mjs';

const weatherAction = (calls) => ({
  name: 'getWeather',
  description: 'Current weather for a city',
  parameters: [{ name: 'city', type: 'string', description: 'The city', required: true }],
  handler: async ({ city }) => {
    calls.push(city);
    await sleep(20); // really asynchronous: the runtime must wait for the promise
    return { city, temperature: 21, unit: 'C' };
  },
});
const WEATHER = { city: 'Paris', temperature: 21, unit: 'C' };

const explodingAction = (message) => ({
  name: 'explode',
  description: 'Always fails',
  parameters: [],
  handler: async () => {
    await sleep(5);
    throw new Error(message);
  },
});

// -------------------------------------------------------------------------------------------
// 1. An async handler's result reaches the client and the next model call

test('AG-UI: an async server action result reaches the client (TOOL_CALL_RESULT, tool message) and the same run\'s next model call', async (t) => {
  const calls = [];
  const stack = await startStack({ actions: [weatherAction(calls)] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Paris' } }]));
  stack.mock.enqueue(MockGemini.text(['It is 21°C', ' in Paris.']));
  const c = await aguiClient(stack.url);
  const events = await aguiRun(c, 'Weather in Paris?');

  assert.equal(runErrorOf(events), undefined, runErrorOf(events)?.message);
  assert.deepEqual(calls, ['Paris'], 'the handler ran once, with the model arguments');
  const start = events.find((e) => e.type === 'TOOL_CALL_START');
  const result = events.find((e) => e.type === 'TOOL_CALL_RESULT');
  assert.equal(start.toolCallName, 'getWeather');
  assert.ok(result, `TOOL_CALL_RESULT on the stream: ${types(events)}`);
  assert.equal(result.toolCallId, start.toolCallId);
  assert.deepEqual(JSON.parse(result.content), WEATHER);
  assert.equal(types(events).filter((x) => x === 'RUN_STARTED').length, 1, 'one run: the runtime looped, not the client');

  // The client's own view: the call on the assistant message, the result as a `tool` message, then the text.
  const tool = c.agent.messages.find((m) => m.role === 'tool');
  assert.ok(tool, 'a tool message on the agent');
  assert.equal(tool.toolCallId, start.toolCallId);
  assert.deepEqual(JSON.parse(tool.content), WEATHER);
  assert.equal(c.agent.messages.at(-1).role, 'assistant');
  assert.equal(c.agent.messages.at(-1).content, 'It is 21°C in Paris.');
  assert.deepEqual(c.errors, []);

  // Gemini: offered the action, then called again in the same run with the result.
  assert.equal(stack.mock.requests.length, 2);
  assert.ok(toolNames(stack.mock.requests[0].body).includes('getWeather'));
  const second = stack.mock.requests[1].body;
  assert.deepEqual(functionCalls(second), [['getWeather', { city: 'Paris' }]]);
  assert.deepEqual(functionResponses(second), [['getWeather', WEATHER]]);
});

test('GraphQL: an async server action result comes back as ResultMessageOutput and the client\'s follow-up shows it to the model', async (t) => {
  const calls = [];
  const stack = await startStack({ actions: [weatherAction(calls)] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Paris' } }]));
  stack.mock.enqueue(MockGemini.text(['It is 21°C in Paris.']));
  const { client, gqlErrors } = gqlClient(stack.url);
  const history = [userMessage('Weather in Paris?')];
  const threadId = 'thread-cb-1';
  const r1 = await gqlRun(client, chatInput({ messages: history, threadId }));

  assert.equal(r1.error, null, r1.error?.message);
  assert.deepEqual(r1.final.status, SUCCESS);
  assert.deepEqual(calls, ['Paris']);
  const [call] = outputs(r1.final, 'ActionExecutionMessageOutput');
  const [result] = outputs(r1.final, 'ResultMessageOutput');
  assert.equal(call.name, 'getWeather');
  assert.deepEqual(JSON.parse(call.arguments.join('')), { city: 'Paris' });
  assert.equal(result.id, `result-${call.id}`);
  assert.equal(result.actionExecutionId, call.id);
  assert.equal(result.actionName, 'getWeather');
  assert.equal(result.result, JSON.stringify(WEATHER));
  assert.deepEqual(result.status, MSG_SUCCESS);
  assert.equal(stack.mock.requests.length, 1, 'one model call per GraphQL request');

  // react-core: the last message is a ResultMessage → follow-up with the whole history.
  assert.ok(r1.messages.at(-1).isResultMessage());
  const r2 = await gqlRun(client, chatInput({ messages: [...history, ...r1.messages], threadId }));
  assert.deepEqual(r2.final.status, SUCCESS);
  assert.equal(r2.messages.at(-1).content, 'It is 21°C in Paris.');
  assert.deepEqual(calls, ['Paris'], 'the follow-up does not run the action again');
  assert.deepEqual(gqlErrors, []);
  const second = stack.mock.requests[1].body;
  assert.deepEqual(functionCalls(second), [['getWeather', { city: 'Paris' }]]);
  assert.deepEqual(functionResponses(second), [['getWeather', WEATHER]]);
});

// -------------------------------------------------------------------------------------------
// 2. A throwing handler: HANDLER_ERROR result, the request goes on, onError is told

test('AG-UI: a throwing handler → HANDLER_ERROR result, the run goes on to the model\'s answer, onError gets a structured event', async (t) => {
  const rec = recorder();
  const stack = await startStack({ actions: [explodingAction('the weather station is on fire')], onError: rec.options.onError });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]));
  stack.mock.enqueue(MockGemini.text(['Sorry, that failed.']));
  const c = await aguiClient(stack.url);
  const events = await aguiRun(c, 'Explode please');

  assert.equal(runErrorOf(events), undefined, runErrorOf(events)?.message);
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
  const result = events.find((e) => e.type === 'TOOL_CALL_RESULT');
  assert.equal(result.content, handlerError('the weather station is on fire'));
  assert.equal(c.agent.messages.at(-1).content, 'Sorry, that failed.');
  assert.deepEqual(c.errors, [], 'a failing server action is not a client error');
  assert.deepEqual(functionResponses(stack.mock.requests[1].body), [['explode', { error: { code: 'HANDLER_ERROR', message: 'the weather station is on fire' }, result: '' }]]);

  const ev = await waitFor(() => rec.errors.find((e) => /weather station is on fire/.test(e.error?.message)), { what: 'onError for the handler' });
  assert.equal(ev.type, 'error');
  assert.equal(typeof ev.timestamp, 'number');
  assert.ok(Math.abs(Date.now() - ev.timestamp) < 60_000, 'timestamp is epoch milliseconds');
  assert.ok(ev.error instanceof Error, 'error is an Error');
  assert.equal(ev.context.source, 'runtime');
});

test('GraphQL: a throwing handler → HANDLER_ERROR ResultMessageOutput, statuses Success, the follow-up goes on, onError gets a structured event', async (t) => {
  const rec = recorder();
  const stack = await startStack({ actions: [explodingAction('failingAction handler exploded')], onError: rec.options.onError });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]));
  stack.mock.enqueue(MockGemini.text(['Sorry, that action failed.']));
  const { client, gqlErrors } = gqlClient(stack.url);
  const history = [userMessage('Run the failing action')];
  const r1 = await gqlRun(client, chatInput({ messages: history, threadId: 'thread-cb-2' }));

  assert.equal(r1.error, null, r1.error?.message);
  assert.deepEqual(r1.final.status, SUCCESS);
  const [call] = outputs(r1.final, 'ActionExecutionMessageOutput');
  const [result] = outputs(r1.final, 'ResultMessageOutput');
  assert.deepEqual(call.status, MSG_SUCCESS);
  assert.equal(result.id, `result-${call.id}`);
  assert.equal(result.result, handlerError('failingAction handler exploded'));
  assert.deepEqual(result.status, MSG_SUCCESS);

  const r2 = await gqlRun(client, chatInput({ messages: [...history, ...r1.messages], threadId: 'thread-cb-2' }));
  assert.deepEqual(r2.final.status, SUCCESS);
  assert.equal(r2.messages.at(-1).content, 'Sorry, that action failed.');
  assert.deepEqual(gqlErrors, []);
  assert.deepEqual(functionResponses(stack.mock.requests[1].body), [['explode', { error: { code: 'HANDLER_ERROR', message: 'failingAction handler exploded' }, result: '' }]]);

  const ev = await waitFor(() => rec.errors.find((e) => /handler exploded/.test(e.error?.message)), { what: 'onError for the handler' });
  assert.equal(ev.type, 'error');
  assert.equal(typeof ev.timestamp, 'number');
  assert.ok(ev.error instanceof Error);
  assert.equal(ev.context.source, 'runtime');
});

// -------------------------------------------------------------------------------------------
// 3. `actions` as a function of ({ properties, url })

function rolePolicy(seen) {
  const lookup = { name: 'lookupOrder', description: 'Look up an order', parameters: [{ name: 'id', type: 'string' }], handler: async () => 'ok' };
  const refund = { name: 'refundOrder', description: 'Refund an order (admins only)', parameters: [{ name: 'id', type: 'string' }], handler: async () => 'ok' };
  return async ({ properties, url }) => {
    seen.push({ properties, url });
    await sleep(1);
    return properties.role === 'admin' ? [lookup, refund] : [lookup];
  };
}

test('AG-UI: actions({properties, url}) — the client\'s `properties` (forwardedProps) choose the tools Gemini is offered', async (t) => {
  const seen = [];
  const stack = await startStack({ actions: rolePolicy(seen) });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Hello admin.']), MockGemini.text(['Hello guest.']));
  const admin = await aguiClient(stack.url, { properties: { role: 'admin', tenant: 'acme' } });
  await aguiRun(admin, 'hi');
  const guest = await aguiClient(stack.url, { properties: { role: 'guest' } });
  await aguiRun(guest, 'hi');

  assert.deepEqual(toolNames(stack.mock.requests[0].body).sort(), ['lookupOrder', 'refundOrder']);
  assert.deepEqual(toolNames(stack.mock.requests[1].body), ['lookupOrder']);
  assert.equal(seen.length, 2, 'called once per run (not for info)');
  assert.equal(seen[0].properties.role, 'admin');
  assert.equal(seen[0].properties.tenant, 'acme');
  assert.equal(seen[1].properties.role, 'guest');
  for (const s of seen) assert.equal(s.url, stack.url, 'url is the endpoint URL the client used');
});

test('GraphQL: actions({properties, url}) — the request\'s `properties` choose the tools Gemini is offered; url is frontend.url', async (t) => {
  const seen = [];
  const stack = await startStack({ actions: rolePolicy(seen) });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.text(['Hello admin.']), MockGemini.text(['Hello guest.']));
  const { client, gqlErrors } = gqlClient(stack.url);
  const a = await gqlRun(client, chatInput({ messages: [userMessage('hi')] }), { properties: { role: 'admin', tenant: 'acme' } });
  const g = await gqlRun(client, chatInput({ messages: [userMessage('hi')] }), { properties: { role: 'guest' } });
  assert.deepEqual(a.final.status, SUCCESS);
  assert.deepEqual(g.final.status, SUCCESS);
  assert.deepEqual(gqlErrors, []);

  assert.deepEqual(toolNames(stack.mock.requests[0].body).sort(), ['lookupOrder', 'refundOrder']);
  assert.deepEqual(toolNames(stack.mock.requests[1].body), ['lookupOrder']);
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[0].properties, { role: 'admin', tenant: 'acme' });
  assert.deepEqual(seen[1].properties, { role: 'guest' });
  for (const s of seen) assert.equal(s.url, PAGE_URL);
});

// -------------------------------------------------------------------------------------------
// 4. AG-UI: two server actions in sequence, then text, in one run

test('AG-UI: three-step loop in one run — server action, server action, then text (three upstream requests)', async (t) => {
  const order = [];
  const rec = recorder();
  const stack = await startStack({
    middleware: rec.options.middleware,
    actions: [
      { name: 'findUser', description: 'Find a user', parameters: [{ name: 'email', type: 'string', required: true }], handler: async ({ email }) => (order.push(['findUser', email]), { userId: 'u-42' }) },
      { name: 'getOrders', description: 'Orders of a user', parameters: [{ name: 'userId', type: 'string', required: true }], handler: async ({ userId }) => (order.push(['getOrders', userId]), [{ id: 'o-1', total: 12.5 }]) },
    ],
  });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'findUser', args: { email: 'a@b.c' } }]));
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'getOrders', args: { userId: 'u-42' } }]));
  stack.mock.enqueue(MockGemini.text(['You have one order', ' (12.50).']));
  const c = await aguiClient(stack.url);
  const events = await aguiRun(c, 'What did a@b.c order?');

  assert.equal(runErrorOf(events), undefined, runErrorOf(events)?.message);
  assert.deepEqual(order, [['findUser', 'a@b.c'], ['getOrders', 'u-42']]);
  const ty = types(events);
  assert.equal(ty.filter((x) => x === 'RUN_STARTED').length, 1);
  assert.equal(ty.filter((x) => x === 'TOOL_CALL_RESULT').length, 2);
  assert.equal(ty.at(-1), 'RUN_FINISHED');
  assert.ok(ty.lastIndexOf('TOOL_CALL_RESULT') < ty.indexOf('TEXT_MESSAGE_START'), 'text after both results');
  assert.equal(c.agent.messages.at(-1).content, 'You have one order (12.50).');
  assert.equal(rec.before.length, 1, 'one request from the client');

  assert.equal(stack.mock.requests.length, 3);
  assert.deepEqual(functionResponses(stack.mock.requests[1].body), [['findUser', { userId: 'u-42' }]]);
  assert.deepEqual(functionResponses(stack.mock.requests[2].body), [
    ['findUser', { userId: 'u-42' }],
    ['getOrders', { content: [{ id: 'o-1', total: 12.5 }] }], // a non-object result is wrapped
  ]);
});

// -------------------------------------------------------------------------------------------
// 5. One model turn with a server call and a frontend call

test('AG-UI: mixed turn — the server action runs on the server, the frontend tool\'s handler runs in the client, which follows up', async (t) => {
  const calls = [];
  const stack = await startStack({ actions: [weatherAction(calls)] });
  t.after(() => stack.close());
  const c = await aguiClient(stack.url);
  const toasts = [];
  c.core.addTool({
    name: 'showToast',
    description: 'Show a toast notification',
    parameters: z.object({ text: z.string().describe('What to say') }),
    handler: async (args) => {
      toasts.push(args);
      return 'toast shown';
    },
  });
  stack.mock.enqueue(MockGemini.functionCalls([
    { name: 'getWeather', args: { city: 'Paris' } },
    { name: 'showToast', args: { text: 'Fetching weather' } },
  ]));
  stack.mock.enqueue(MockGemini.text(['Paris is at 21°C.']));
  const events = await aguiRun(c, 'Weather in Paris, and tell me');

  assert.equal(runErrorOf(events), undefined, runErrorOf(events)?.message);
  assert.deepEqual(calls, ['Paris'], 'the server action ran once, on the server');
  assert.deepEqual(toasts, [{ text: 'Fetching weather' }], 'the frontend tool ran once, in the client');
  const results = events.filter((e) => e.type === 'TOOL_CALL_RESULT');
  const starts = events.filter((e) => e.type === 'TOOL_CALL_START');
  const serverCall = starts.find((s) => s.toolCallName === 'getWeather');
  assert.ok(results.some((r) => r.toolCallId === serverCall.toolCallId && r.content === JSON.stringify(WEATHER)), 'server result on the stream');
  assert.equal(types(events).filter((x) => x === 'RUN_STARTED').length, 2, 'the client followed up with a second run');
  assert.equal(c.agent.messages.at(-1).content, 'Paris is at 21°C.');

  assert.equal(stack.mock.requests.length, 2);
  const first = stack.mock.requests[0].body;
  assert.deepEqual(toolNames(first).sort(), ['getWeather', 'showToast']);
  const second = stack.mock.requests[1].body;
  assert.deepEqual(functionCalls(second).map(([n]) => n).sort(), ['getWeather', 'showToast']);
  const answered = Object.fromEntries(functionResponses(second));
  assert.deepEqual(answered.getWeather, WEATHER);
  assert.deepEqual(answered.showToast, { content: 'toast shown' });
});

test('GraphQL: mixed turn — the server action result and the frontend ActionExecutionMessageOutput (status Success) are delivered; the follow-up answers', async (t) => {
  const calls = [];
  const stack = await startStack({ actions: [weatherAction(calls)] });
  t.after(() => stack.close());
  stack.mock.enqueue(MockGemini.functionCalls([
    { name: 'getWeather', args: { city: 'Paris' } },
    { name: 'showToast', args: { text: 'Fetching weather' } },
  ]));
  stack.mock.enqueue(MockGemini.text(['Paris is at 21°C.']));
  const { client, gqlErrors } = gqlClient(stack.url);
  const actions = [frontendAction({ name: 'showToast', description: 'Show a toast notification', parameters: [{ name: 'text', type: 'string', required: true }] })];
  const history = [userMessage('Weather in Paris, and tell me')];
  const r1 = await gqlRun(client, chatInput({ messages: history, actions, threadId: 'thread-cb-5' }));

  assert.equal(r1.error, null, r1.error?.message);
  assert.deepEqual(r1.final.status, SUCCESS);
  assert.deepEqual(calls, ['Paris']);
  const aems = outputs(r1.final, 'ActionExecutionMessageOutput');
  const server = aems.find((m) => m.name === 'getWeather');
  const front = aems.find((m) => m.name === 'showToast');
  assert.ok(server && front, `both calls delivered: ${aems.map((m) => m.name)}`);
  assert.deepEqual(front.status, MSG_SUCCESS);
  assert.deepEqual(JSON.parse(front.arguments.join('')), { text: 'Fetching weather' });
  const results = outputs(r1.final, 'ResultMessageOutput');
  assert.deepEqual(results.map((r) => r.actionExecutionId), [server.id], 'only the server action has a result from the runtime');
  assert.equal(results[0].result, JSON.stringify(WEATHER));

  const toasts = [];
  const next = await runFrontendActions(history, r1.messages, { showToast: async (args) => (toasts.push(args), 'toast shown') });
  assert.deepEqual(toasts, [{ text: 'Fetching weather' }]);
  assert.ok(next, 'react-core follows up');
  const r2 = await gqlRun(client, chatInput({ messages: next, actions, threadId: 'thread-cb-5' }));
  assert.deepEqual(r2.final.status, SUCCESS);
  assert.equal(r2.messages.at(-1).content, 'Paris is at 21°C.');
  assert.deepEqual(calls, ['Paris'], 'the follow-up does not run the server action again');
  assert.deepEqual(gqlErrors, []);
  const answered = Object.fromEntries(functionResponses(stack.mock.requests[1].body));
  assert.deepEqual(answered.getWeather, WEATHER);
  assert.deepEqual(answered.showToast, { content: 'toast shown' });
});
