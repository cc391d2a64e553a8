// GraphQL protocol (react-core ≤ 1.10), tools: frontend actions run in the client and come back in
// a client-driven follow-up request; parallel calls are separate action messages; server actions
// (`new CopilotRuntime({ actions })`) run in the runtime and come back as result messages.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startGraphqlStack,
  makeClient,
  chatInput,
  userMessage,
  runGenerate,
  frontendAction,
  executeFrontendActions,
  MockGemini,
} from './support/graphql-harness.mjs';

const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };
const MSG_SUCCESS = { code: 'Success', __typename: 'SuccessMessageStatus' };

const setBackgroundColor = frontendAction({
  name: 'setBackgroundColor',
  description: 'Set the page background color',
  parameters: [{ name: 'color', type: 'string', description: 'A CSS color', required: true }],
});
const showToast = frontendAction({
  name: 'showToast',
  description: 'Show a toast notification',
  parameters: [
    { name: 'text', type: 'string', description: 'What to say' },
    { name: 'seconds', type: 'number', description: 'How long', required: false },
  ],
});

// Frontend actions only (no server actions configured), and a second runtime with server actions.
let stack;
let serverStack;
const handlerCalls = [];
before(async () => {
  stack = await startGraphqlStack();
  serverStack = await startGraphqlStack({
    runtimeOptions: {
      actions: [
        {
          name: 'getWeather',
          description: 'Current weather for a city',
          parameters: [{ name: 'city', type: 'string', description: 'The city', required: true }],
          handler: async (args) => {
            handlerCalls.push(args);
            return { city: args.city, temperature: 22, unit: 'C', conditions: 'sunny' };
          },
        },
        { name: 'greet', description: 'Greets', parameters: [], handler: async () => 'plain text result' },
        { name: 'nothing', description: 'Returns nothing', parameters: [], handler: async () => undefined },
        { name: 'double', description: 'Doubles n', parameters: [{ name: 'n', type: 'number' }], handler: async ({ n }) => n * 2 },
        {
          name: 'explode',
          description: 'Always fails',
          parameters: [],
          handler: async () => {
            throw new Error('the weather station is on fire');
          },
        },
      ],
    },
  });
});
after(async () => {
  await stack.close();
  await serverStack.close();
});
// A failed test must not leave scripted answers behind for the next one.
beforeEach(() => {
  stack.mock.queue.length = 0;
  serverStack.mock.queue.length = 0;
  handlerCalls.length = 0;
});

const declaredTools = (body) => (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);

test('frontend action round trip: action message with streamed arguments, then the follow-up pairs call and result', async () => {
  const { client, gqlErrors } = makeClient(stack.url);
  const first = stack.mock.requests.length;
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'setBackgroundColor', args: { color: 'blue' } }]));
  stack.mock.enqueue(MockGemini.text(['Done', ', the background is blue.']));

  const history = [userMessage('Please change the background to blue')];
  const actions = [setBackgroundColor];
  const r1 = await runGenerate(client, chatInput({ messages: history, actions, threadId: 'thread-b' }));
  assert.equal(r1.error, null);
  assert.deepEqual(r1.final.status, SUCCESS);
  assert.equal(r1.final.messages.length, 1);
  const call = r1.final.messages[0];
  assert.equal(call.__typename, 'ActionExecutionMessageOutput');
  assert.equal(call.name, 'setBackgroundColor');
  assert.ok(call.id);
  assert.ok(Array.isArray(call.arguments) && call.arguments.length >= 1, 'arguments arrive as a streamed list of JSON text chunks');
  assert.deepEqual(JSON.parse(call.arguments.join('')), { color: 'blue' });
  assert.deepEqual(call.status, MSG_SUCCESS);

  // The model was offered the frontend action as a function declaration.
  const req1 = stack.mock.requests[first];
  const decl = declaredTools(req1.body).find((d) => d.name === 'setBackgroundColor');
  assert.ok(decl, 'setBackgroundColor offered to the model');
  assert.equal(decl.description, 'Set the page background color');
  assert.match(JSON.stringify(decl.parameters ?? decl.parametersJsonSchema), /color/);

  // react-core: the action message is not Pending → run the handler, append `result-<id>`, follow up.
  const ran = [];
  const next = await executeFrontendActions(history, r1.messages, {
    setBackgroundColor: async (args) => {
      ran.push(args);
      return 'Background set to blue';
    },
  });
  assert.deepEqual(ran, [{ color: 'blue' }]);
  assert.ok(next, 'a follow-up is due');
  const r2 = await runGenerate(client, chatInput({ messages: next, actions, threadId: 'thread-b' }));
  assert.equal(r2.error, null);
  assert.deepEqual(r2.final.status, SUCCESS);
  assert.equal(r2.messages.length, 1);
  assert.ok(r2.messages[0].isTextMessage());
  assert.equal(r2.messages[0].content, 'Done, the background is blue.');
  assert.deepEqual(gqlErrors, []);

  // The second model call pairs the functionCall with its functionResponse, in order.
  const contents = stack.mock.requests[first + 1].body.contents;
  assert.equal(contents.length, 3);
  assert.deepEqual(contents[0], { role: 'user', parts: [{ text: 'Please change the background to blue' }] });
  assert.equal(contents[1].role, 'model');
  const fc = contents[1].parts.find((p) => p.functionCall).functionCall;
  assert.equal(fc.name, 'setBackgroundColor');
  assert.deepEqual(fc.args, { color: 'blue' });
  assert.equal(contents[2].role, 'user');
  const fr = contents[2].parts.find((p) => p.functionResponse).functionResponse;
  assert.equal(fr.name, 'setBackgroundColor');
  assert.deepEqual(fr.response, { content: 'Background set to blue' });
  if (fc.id !== undefined || fr.id !== undefined) assert.equal(fr.id, fc.id);
});

test('two parallel tool calls become two ActionExecutionMessageOutputs in one response', async () => {
  const { client } = makeClient(stack.url);
  const first = stack.mock.requests.length;
  stack.mock.enqueue(
    MockGemini.functionCalls([
      { name: 'setBackgroundColor', args: { color: 'red' } },
      { name: 'showToast', args: { text: 'Changed!', seconds: 3 } },
    ]),
  );
  stack.mock.enqueue(MockGemini.text(['Both done.']));
  const history = [userMessage('Make it red and tell me')];
  const actions = [setBackgroundColor, showToast];
  const r1 = await runGenerate(client, chatInput({ messages: history, actions, threadId: 'thread-par' }));
  assert.equal(r1.error, null);
  assert.deepEqual(r1.final.status, SUCCESS);
  const calls = r1.final.messages;
  assert.deepEqual(calls.map((m) => m.__typename), ['ActionExecutionMessageOutput', 'ActionExecutionMessageOutput']);
  assert.deepEqual(calls.map((m) => m.name), ['setBackgroundColor', 'showToast']);
  assert.deepEqual(JSON.parse(calls[0].arguments.join('')), { color: 'red' });
  assert.deepEqual(JSON.parse(calls[1].arguments.join('')), { text: 'Changed!', seconds: 3 });
  assert.notEqual(calls[0].id, calls[1].id);
  for (const c of calls) assert.deepEqual(c.status, MSG_SUCCESS);

  // Both run in the client; the follow-up carries both pairs and the model sees both.
  const next = await executeFrontendActions(history, r1.messages, {
    setBackgroundColor: async () => 'ok',
    showToast: async () => ({ shown: true }),
  });
  assert.deepEqual(next.map((m) => m.type), ['TextMessage', 'ActionExecutionMessage', 'ResultMessage', 'ActionExecutionMessage', 'ResultMessage']);
  const r2 = await runGenerate(client, chatInput({ messages: next, actions, threadId: 'thread-par' }));
  assert.deepEqual(r2.final.status, SUCCESS);
  assert.equal(r2.messages[0].content, 'Both done.');
  const contents = stack.mock.requests[first + 1].body.contents;
  const calledNames = contents.flatMap((c) => c.parts.filter((p) => p.functionCall).map((p) => p.functionCall.name));
  const answered = contents.flatMap((c) => c.parts.filter((p) => p.functionResponse).map((p) => [p.functionResponse.name, p.functionResponse.response]));
  assert.deepEqual(calledNames, ['setBackgroundColor', 'showToast']);
  assert.deepEqual(answered, [
    ['setBackgroundColor', { content: 'ok' }],
    ['showToast', { shown: true }],
  ]);
  // The two calls are one model turn, the two results one user turn right after it.
  const modelTurn = contents.findIndex((c) => c.parts.some((p) => p.functionCall));
  assert.equal(contents[modelTurn].parts.filter((p) => p.functionCall).length, 2);
  assert.equal(contents[modelTurn + 1].parts.filter((p) => p.functionResponse).length, 2);
});

test('server action: ResultMessageOutput `result-<callId>` with the JSON-encoded handler result; the follow-up answers', async () => {
  const { client, gqlErrors } = makeClient(serverStack.url);
  const first = serverStack.mock.requests.length;
  serverStack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Paris' } }]));
  serverStack.mock.enqueue(MockGemini.text(['It is sunny in Paris.']));

  const history = [userMessage('What is the weather in Paris?')];
  const r1 = await runGenerate(client, chatInput({ messages: history, threadId: 'thread-c' }));
  assert.equal(r1.error, null);
  assert.deepEqual(r1.final.status, SUCCESS);
  assert.deepEqual(handlerCalls, [{ city: 'Paris' }]);

  // The server action was offered to the model with the schema of its parameters.
  const decl = declaredTools(serverStack.mock.requests[first].body).find((d) => d.name === 'getWeather');
  assert.ok(decl, 'getWeather offered to the model');
  assert.equal(decl.description, 'Current weather for a city');
  assert.match(JSON.stringify(decl.parameters ?? decl.parametersJsonSchema), /city/);

  const [call, result] = r1.final.messages;
  assert.equal(r1.final.messages.length, 2);
  assert.equal(call.__typename, 'ActionExecutionMessageOutput');
  assert.equal(call.name, 'getWeather');
  assert.deepEqual(JSON.parse(call.arguments.join('')), { city: 'Paris' });
  assert.deepEqual(call.status, MSG_SUCCESS);
  assert.equal(result.__typename, 'ResultMessageOutput');
  assert.equal(result.id, `result-${call.id}`);
  assert.equal(result.actionExecutionId, call.id);
  assert.equal(result.actionName, 'getWeather');
  assert.equal(result.result, JSON.stringify({ city: 'Paris', temperature: 22, unit: 'C', conditions: 'sunny' }));
  assert.deepEqual(result.status, MSG_SUCCESS);

  // react-core: the last message is a ResultMessage → follow-up with the history as converted.
  assert.ok(r1.messages.at(-1).isResultMessage());
  const next = [...history, ...r1.messages];
  const r2 = await runGenerate(client, chatInput({ messages: next, threadId: 'thread-c' }));
  assert.deepEqual(r2.final.status, SUCCESS);
  assert.equal(r2.messages[0].content, 'It is sunny in Paris.');
  assert.deepEqual(handlerCalls, [{ city: 'Paris' }], 'the follow-up does not run the action again');
  assert.deepEqual(gqlErrors, []);
  const contents = serverStack.mock.requests[first + 1].body.contents;
  assert.deepEqual(contents.map((c) => c.role), ['user', 'model', 'user']);
  assert.deepEqual(contents[1].parts.find((p) => p.functionCall).functionCall.name, 'getWeather');
  assert.deepEqual(contents[2].parts.find((p) => p.functionResponse).functionResponse.response, {
    city: 'Paris',
    temperature: 22,
    unit: 'C',
    conditions: 'sunny',
  });
});

test('a throwing server action handler → HANDLER_ERROR result envelope, statuses still Success', async () => {
  const { client, gqlErrors } = makeClient(serverStack.url);
  serverStack.mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]));
  const r = await runGenerate(client, chatInput({ messages: [userMessage('explode please')], threadId: 'thread-c3' }));
  assert.equal(r.error, null);
  assert.deepEqual(gqlErrors, []);
  assert.deepEqual(r.final.status, SUCCESS);
  const [call, result] = r.final.messages;
  assert.equal(call.name, 'explode');
  assert.deepEqual(call.status, MSG_SUCCESS);
  assert.equal(result.__typename, 'ResultMessageOutput');
  assert.equal(result.id, `result-${call.id}`);
  assert.equal(result.actionName, 'explode');
  assert.equal(result.result, JSON.stringify({ error: { code: 'HANDLER_ERROR', message: 'the weather station is on fire' }, result: '' }));
  assert.deepEqual(result.status, MSG_SUCCESS);
});

test('a server action shadows a frontend action of the same name', async () => {
  const { client } = makeClient(serverStack.url);
  const first = serverStack.mock.requests.length;
  serverStack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Oslo' } }]));
  const shadowed = frontendAction({ name: 'getWeather', description: 'frontend copy', parameters: [{ name: 'city', type: 'string' }] });
  const r = await runGenerate(client, chatInput({ messages: [userMessage('weather in Oslo')], actions: [shadowed] }));
  assert.deepEqual(r.final.status, SUCCESS);
  const decls = declaredTools(serverStack.mock.requests[first].body).filter((d) => d.name === 'getWeather');
  assert.equal(decls.length, 1);
  assert.equal(decls[0].description, 'Current weather for a city');
  assert.deepEqual(handlerCalls, [{ city: 'Oslo' }]);
  assert.equal(r.final.messages[1].__typename, 'ResultMessageOutput');
});

test('parallel server actions: results encoded like 1.10.6 (string as is, undefined → "", else JSON), one model turn in the follow-up', async () => {
  const { client } = makeClient(serverStack.url);
  const first = serverStack.mock.requests.length;
  serverStack.mock.enqueue(MockGemini.functionCalls([{ name: 'greet' }, { name: 'nothing' }, { name: 'double', args: { n: 21 } }]));
  serverStack.mock.enqueue(MockGemini.text(['All three ran.']));
  const history = [userMessage('run them all')];
  const r1 = await runGenerate(client, chatInput({ messages: history, threadId: 'thread-c2' }));
  assert.deepEqual(r1.final.status, SUCCESS);
  const calls = r1.final.messages.filter((m) => m.__typename === 'ActionExecutionMessageOutput');
  const results = r1.final.messages.filter((m) => m.__typename === 'ResultMessageOutput');
  assert.deepEqual(calls.map((c) => c.name), ['greet', 'nothing', 'double']);
  assert.deepEqual(
    results.map((r) => [r.actionName, r.result, r.id === `result-${r.actionExecutionId}`]),
    [
      ['greet', 'plain text result', true],
      ['nothing', '', true],
      ['double', '42', true],
    ],
  );
  for (const m of r1.final.messages) assert.deepEqual(m.status, MSG_SUCCESS);
  // Every result follows its call.
  for (const r of results) {
    const callAt = r1.final.messages.findIndex((m) => m.id === r.actionExecutionId);
    assert.ok(callAt >= 0 && callAt < r1.final.messages.indexOf(r));
  }

  const r2 = await runGenerate(client, chatInput({ messages: [...history, ...r1.messages], threadId: 'thread-c2' }));
  assert.deepEqual(r2.final.status, SUCCESS);
  const contents = serverStack.mock.requests[first + 1].body.contents;
  assert.deepEqual(contents.map((c) => c.role), ['user', 'model', 'user']);
  assert.equal(contents[1].parts.filter((p) => p.functionCall).length, 3);
  assert.deepEqual(
    contents[2].parts.map((p) => [p.functionResponse.name, p.functionResponse.response]),
    [
      ['greet', { content: 'plain text result' }],
      ['nothing', { content: '' }],
      ['double', { content: 42 }],
    ],
  );
});
