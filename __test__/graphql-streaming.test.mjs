// GraphQL protocol (react-core ≤ 1.10), streamed text: the real 1.10.6 client sees every model
// delta as its own `content` item, as the model produces it, and the response is the multipart
// answer yoga gives (status 200, `x-copilotkit-runtime-version: 1.10.6`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startGraphqlStack,
  makeClient,
  chatInput,
  userMessage,
  runGenerate,
  rawPost,
  clientQuery,
  parseMultipart,
  frontendAction,
  CLIENT_HEADERS,
  MockGemini,
} from './support/graphql-harness.mjs';


let stack;
before(async () => {
  stack = await startGraphqlStack();
});
after(async () => {
  await stack.close();
});

/** Record the HTTP responses the client's `fetch` got (the client calls the global fetch). */
function recordFetch() {
  const original = globalThis.fetch;
  const seen = [];
  globalThis.fetch = async (...args) => {
    const res = await original(...args);
    seen.push({ status: res.status, headers: Object.fromEntries(res.headers) });
    return res;
  };
  seen.restore = () => {
    globalThis.fetch = original;
  };
  return seen;
}

test('text is streamed token by token: one content item per model delta, as it is produced', async () => {
  const deltas = ['The', ' quick', ' brown', ' fox', ' jumps', ' over'];
  stack.mock.enqueue(MockGemini.text(deltas, { delayMs: 50 }));
  const { client, gqlErrors } = makeClient(stack.url);
  const responses = recordFetch();
  let run;
  try {
    run = await runGenerate(client, chatInput({ messages: [userMessage('Tell me about the fox')], threadId: 'thread-stream' }));
  } finally {
    responses.restore();
  }
  assert.equal(run.error, null);
  assert.deepEqual(gqlErrors, []);

  // HTTP: one 200 multipart answer carrying the version handshake header.
  assert.equal(responses.length, 1);
  assert.equal(responses[0].status, 200);
  assert.match(responses[0].headers['content-type'], /^multipart\/mixed/);
  assert.equal(responses[0].headers['x-copilotkit-runtime-version'], '1.10.6');

  // The first read is the initial payload: ids, no messages yet, status still deferred.
  const first = run.reads[0].value;
  assert.equal(first.threadId, 'thread-stream');
  assert.equal(first.runId, null);
  assert.deepEqual(first.messages, []);
  assert.equal(first.status, undefined);

  // Every read shows the content array at most one chunk longer than the read before.
  const lengths = run.reads.map((r) => r.value.messages[0]?.content?.length ?? 0);
  for (let i = 1; i < lengths.length; i++) {
    assert.ok(lengths[i] - lengths[i - 1] <= 1, `read ${i} jumped from ${lengths[i - 1]} to ${lengths[i]} chunks: ${lengths}`);
  }
  for (let n = 1; n <= deltas.length; n++) assert.ok(lengths.includes(n), `never saw exactly ${n} chunk(s): ${lengths}`);
  assert.ok(run.reads.length >= deltas.length + 1, `only ${run.reads.length} reads`);
  // …and each read's chunks are the model's deltas, unchanged.
  for (const r of run.reads) {
    const content = r.value.messages[0]?.content ?? [];
    assert.deepEqual(content, deltas.slice(0, content.length));
  }

  // The first chunk reached the client well before the mock wrote the last one (6 × 50 ms pacing).
  const upstream = stack.mock.requests.at(-1);
  const firstSeen = run.reads.find((r) => (r.value.messages[0]?.content?.length ?? 0) >= 1).at;
  const lastWritten = upstream.writes.at(-1);
  assert.equal(upstream.writes.length, deltas.length);
  assert.ok(lastWritten - firstSeen > 150, `first chunk seen only ${(lastWritten - firstSeen).toFixed(0)} ms before the last was written`);
  // Each chunk is seen shortly after the mock wrote it (no buffering).
  for (let n = 1; n <= deltas.length; n++) {
    const seen = run.reads.find((r) => (r.value.messages[0]?.content?.length ?? 0) >= n).at;
    assert.ok(seen - upstream.writes[n - 1] < 75, `chunk ${n} seen ${(seen - upstream.writes[n - 1]).toFixed(0)} ms after it was written`);
  }

  // Final state: a finished assistant text message and a successful response.
  const msg = run.final.messages[0];
  assert.equal(run.final.messages.length, 1);
  assert.equal(msg.__typename, 'TextMessageOutput');
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.parentMessageId, null);
  assert.ok(msg.id);
  assert.ok(!Number.isNaN(Date.parse(msg.createdAt)));
  assert.deepEqual(msg.status, { code: 'Success', __typename: 'SuccessMessageStatus' });
  assert.deepEqual(run.final.status, { code: 'Success', __typename: 'SuccessResponseStatus' });
  // What react-core makes of it.
  assert.equal(run.messages.length, 1);
  assert.ok(run.messages[0].isTextMessage());
  assert.equal(run.messages[0].content, deltas.join(''));
  assert.equal(run.messages[0].status.code, 'Success');

  // The model saw the conversation (system prompt from the client's system message).
  const body = upstream.body;
  assert.deepEqual(body.contents.at(-1), { role: 'user', parts: [{ text: 'Tell me about the fox' }] });
  assert.match(JSON.stringify(body.systemInstruction ?? {}), /You are a helpful assistant\./);
});

test('a request without threadId (CopilotTask style) still gets a threadId and streams', async () => {
  stack.mock.enqueue(MockGemini.text(['Hi!']));
  const { client } = makeClient(stack.url);
  const data = chatInput({ messages: [userMessage('hello')] });
  delete data.threadId;
  const run = await runGenerate(client, data);
  assert.equal(run.error, null);
  assert.match(run.final.threadId, /\S/);
  assert.deepEqual(run.final.status, { code: 'Success', __typename: 'SuccessResponseStatus' });
  assert.equal(run.messages[0].content, 'Hi!');
});

test('several requests on one server in parallel stream independently', async () => {
  // Each response must carry its own request's threadId and exactly its own message.
  const { client } = makeClient(stack.url);
  const n = 4;
  for (let i = 0; i < n; i++) stack.mock.enqueue(MockGemini.text(['answer', ' ', 'same'], { delayMs: 20 }));
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) => runGenerate(client, chatInput({ messages: [userMessage(`q${i}`)], threadId: `thread-par-${i}` }))),
  );
  runs.forEach((run, i) => {
    assert.equal(run.error, null);
    assert.equal(run.final.threadId, `thread-par-${i}`);
    assert.equal(run.messages.length, 1);
    assert.equal(run.messages[0].content, 'answer same');
    assert.deepEqual(run.final.status, { code: 'Success', __typename: 'SuccessResponseStatus' });
  });
});

/** The client's mutation, hand-written (for the wire-level checks). */
const mutationBody = (data) => ({ operationName: 'generateCopilotResponse', query: clientQuery('generateCopilotResponse'), variables: { data, properties: {} } });

/**
 * The invariants urql's merge needs (spec §6.4), checked on the raw multipart payloads: the
 * initial payload first and with data; a message item before any chunk or status of it; list
 * indices contiguous from 0; every message and the response get a status; hasNext:false last.
 */
function checkPayloads(payloads) {
  assert.ok(payloads.length >= 2);
  assert.ok(payloads[0].data?.generateCopilotResponse, 'initial payload carries data');
  assert.equal(payloads[0].hasNext, true);
  assert.deepEqual(payloads[0].data.generateCopilotResponse.messages, []);
  assert.equal(payloads.at(-1).hasNext, false);
  for (const p of payloads.slice(0, -1)) assert.equal(p.hasNext, true);
  const messages = []; // index → { type, chunks, status }
  let responseStatus = null;
  for (const p of payloads.slice(1)) {
    assert.equal(p.data, undefined, 'later payloads are incremental');
    // Within one payload entries may come in any order; urql applies them all before rendering.
    const entries = [...(p.incremental ?? [])].sort((a, b) => a.path.length - b.path.length);
    for (const e of entries) {
      const [root, field, index, list, at] = e.path;
      assert.equal(root, 'generateCopilotResponse');
      if (e.items && field === 'messages' && e.path.length === 3) {
        assert.equal(index, messages.length, 'messages are appended in order');
        for (const item of e.items) messages.push({ type: item.__typename, chunks: [], status: null, item });
      } else if (e.items && (list === 'content' || list === 'arguments')) {
        assert.ok(messages[index], `chunk for message ${index} after its item`);
        assert.equal(at, messages[index].chunks.length, 'chunk indices are contiguous');
        messages[index].chunks.push(...e.items);
      } else if (e.data && e.path.length === 3) {
        assert.ok(messages[index], `status for message ${index} after its item`);
        messages[index].status = e.data.status;
      } else if (e.data && e.path.length === 1) {
        responseStatus = e.data.status;
      } else {
        assert.fail(`unexpected entry ${JSON.stringify(e)}`);
      }
    }
  }
  assert.ok(responseStatus, 'the response status was delivered');
  for (const m of messages) assert.ok(m.status, `message ${m.type} got its status`);
  return { messages, responseStatus };
}

test('on the wire: a text answer is a multipart stream urql can merge (spec §6.4)', async () => {
  stack.mock.enqueue(MockGemini.text(['One', ' two', ' three'], { delayMs: 10 }));
  const res = await rawPost(stack.url, mutationBody(chatInput({ messages: [userMessage('count')] })));
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'multipart/mixed; boundary="-"');
  assert.equal(res.headers['x-copilotkit-runtime-version'], '1.10.6');
  assert.ok(res.body.endsWith('\r\n-----\r\n'), 'closing boundary');
  const { messages, responseStatus } = checkPayloads(parseMultipart(res.body));
  assert.deepEqual(responseStatus, { code: 'Success', __typename: 'SuccessResponseStatus' });
  assert.equal(messages.length, 1);
  assert.deepEqual(messages[0].chunks, ['One', ' two', ' three']);
  assert.deepEqual(messages[0].item.content, [], 'chunks are never inline in the message item');
  assert.deepEqual(messages[0].status, { code: 'Success', __typename: 'SuccessMessageStatus' });
});

test('on the wire: a tool call is an action item, its argument chunks, then its Success status', async () => {
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'setColor', args: { color: 'teal' } }]));
  const setColor = frontendAction({ name: 'setColor', description: 'Set the color', parameters: [{ name: 'color', type: 'string' }] });
  const res = await rawPost(stack.url, mutationBody(chatInput({ messages: [userMessage('teal please')], actions: [setColor] })));
  assert.equal(res.status, 200);
  const { messages } = checkPayloads(parseMultipart(res.body));
  assert.equal(messages.length, 1);
  assert.equal(messages[0].type, 'ActionExecutionMessageOutput');
  assert.equal(messages[0].item.name, 'setColor');
  assert.deepEqual(messages[0].item.arguments, []);
  assert.deepEqual(JSON.parse(messages[0].chunks.join('')), { color: 'teal' });
  assert.deepEqual(messages[0].status, { code: 'Success', __typename: 'SuccessMessageStatus' });
});

test('a client that asks for Connection: close gets it, and its keep-alive agent can send the next request', async () => {
  // Node's global agent keeps sockets alive unless the response says close; a streamed answer
  // that claimed keep-alive made Node's parser reject the next request on that socket (400).
  for (let i = 0; i < 3; i++) {
    stack.mock.enqueue(MockGemini.text([`answer ${i}`]));
    const res = await rawPost(stack.url, mutationBody(chatInput({ messages: [userMessage(`q${i}`)] })), { headers: { ...CLIENT_HEADERS, connection: 'close' } });
    assert.equal(res.status, 200, `request ${i}`);
    assert.equal(res.headers.connection, 'close');
    assert.deepEqual(checkPayloads(parseMultipart(res.body)).messages[0].chunks, [`answer ${i}`]);
  }
});
