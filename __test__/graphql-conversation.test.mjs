// GraphQL protocol (react-core ≤ 1.10), the conversation as Gemini gets it: a turn with text and
// a tool call comes back as one model turn; `extract()` / CopilotTask requests force the tool
// through forwardedParameters; image messages become inline data; awkward text survives the
// multipart framing unchanged.
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
  gql,
} from './support/graphql-harness.mjs';

const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };

let stack;
before(async () => {
  stack = await startGraphqlStack();
});
after(async () => {
  await stack.close();
});
beforeEach(() => {
  stack.mock.queue.length = 0;
});

test('text and a tool call in one model turn: two messages now, one model turn in the follow-up', async () => {
  const { client } = makeClient(stack.url);
  const setColor = frontendAction({ name: 'setColor', description: 'Set the color', parameters: [{ name: 'color', type: 'string' }] });
  stack.mock.enqueue({ chunks: [{ parts: [{ text: 'Sure, ' }] }, { parts: [{ text: 'changing it.' }, { functionCall: { name: 'setColor', args: { color: 'red' } } }] }] });
  stack.mock.enqueue(MockGemini.text(['Done.']));
  const history = [userMessage('make it red')];
  const r1 = await runGenerate(client, chatInput({ messages: history, actions: [setColor] }));
  assert.deepEqual(r1.final.status, SUCCESS);
  const [text, call] = r1.final.messages;
  assert.equal(text.__typename, 'TextMessageOutput');
  assert.deepEqual(text.content, ['Sure, ', 'changing it.']);
  assert.equal(call.__typename, 'ActionExecutionMessageOutput');
  assert.equal(call.parentMessageId, text.id, 'the call names the text message of its turn as parent');
  assert.equal(text.status.code, 'Success');
  assert.equal(call.status.code, 'Success');

  const next = await executeFrontendActions(history, r1.messages, { setColor: async () => 'ok' });
  const r2 = await runGenerate(client, chatInput({ messages: next, actions: [setColor] }));
  assert.deepEqual(r2.final.status, SUCCESS);
  const contents = stack.mock.requests.at(-1).body.contents;
  assert.equal(contents.length, 3);
  assert.equal(contents[1].role, 'model');
  assert.deepEqual(contents[1].parts.map((p) => Object.keys(p).find((k) => k === 'text' || k === 'functionCall')), ['text', 'functionCall']);
  assert.equal(contents[1].parts[0].text, 'Sure, changing it.');
  assert.equal(contents[2].parts[0].functionResponse.name, 'setColor');
});

test('extract() / suggestions: toolChoice "function" forces that function; temperature, maxTokens and stop are forwarded', async () => {
  const { client } = makeClient(stack.url);
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'extract', args: { suggestions: [{ title: 'Hi', message: 'Say hi' }] } }]));
  const extract = frontendAction({
    name: 'extract',
    description: 'Extract suggestions',
    parameters: [{ name: 'suggestions', type: 'object[]', attributes: [{ name: 'title', type: 'string' }, { name: 'message', type: 'string' }] }],
  });
  delete extract.available; // extract() sends its action without `available`
  const data = chatInput({
    messages: [userMessage('suggest something')],
    actions: [extract],
    extra: {
      metadata: { requestType: 'Task' },
      forwardedParameters: { toolChoice: 'function', toolChoiceFunctionName: 'extract', temperature: 0.3, maxTokens: 100, stop: ['END'] },
    },
  });
  delete data.threadId;
  delete data.runId;
  const r = await runGenerate(client, data);
  assert.deepEqual(r.final.status, SUCCESS);
  assert.deepEqual(JSON.parse(r.final.messages[0].arguments.join('')), { suggestions: [{ title: 'Hi', message: 'Say hi' }] });
  const body = stack.mock.requests.at(-1).body;
  assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['extract'] } });
  assert.equal(body.generationConfig.temperature, 0.3);
  assert.equal(body.generationConfig.maxOutputTokens, 100);
  assert.deepEqual(body.generationConfig.stopSequences, ['END']);
});

test('CopilotTask: toolChoice "required" makes the model call some tool', async () => {
  const { client } = makeClient(stack.url);
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'setColor', args: { color: 'green' } }]));
  const setColor = frontendAction({ name: 'setColor', description: 'Set the color', parameters: [{ name: 'color', type: 'string' }] });
  const data = chatInput({ messages: [userMessage('do it')], actions: [setColor], extra: { metadata: { requestType: 'Task' }, forwardedParameters: { toolChoice: 'required' } } });
  const r = await runGenerate(client, data);
  assert.deepEqual(r.final.status, SUCCESS);
  assert.equal(stack.mock.requests.at(-1).body.toolConfig.functionCallingConfig.mode, 'ANY');
});

test('an image message reaches the model as inline data next to the user text', async () => {
  const { client } = makeClient(stack.url);
  stack.mock.enqueue(MockGemini.text(['A tiny PNG.']));
  const img = new gql.ImageMessage({ id: 'img-1', format: 'png', bytes: 'iVBORw0KGgo=', role: 'user' });
  const r = await runGenerate(client, chatInput({ messages: [userMessage('what is this?'), img] }));
  assert.deepEqual(r.final.status, SUCCESS);
  const parts = stack.mock.requests.at(-1).body.contents.flatMap((c) => c.parts);
  assert.ok(parts.some((p) => p.inlineData && p.inlineData.mimeType === 'image/png' && p.inlineData.data === 'iVBORw0KGgo='));
});

test('text that looks like framing, quotes, escapes, emoji and line separators arrives unchanged', async () => {
  const { client } = makeClient(stack.url);
  const deltas = ['a "quote"\n', '\r\n---\r\n', '-----', 'emoji 😀 \u2028 \u2029 end', '\\', '{"hasNext":false}', 'ünïcödé'];
  stack.mock.enqueue(MockGemini.text(deltas));
  const r = await runGenerate(client, chatInput({ messages: [userMessage('be weird')] }));
  assert.deepEqual(r.final.status, SUCCESS);
  assert.deepEqual(r.final.messages[0].content, deltas);
  assert.equal(r.messages[0].content, deltas.join(''));
});
