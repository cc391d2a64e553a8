// GraphQL protocol (react-core ≤ 1.10), streamed text: the real 1.10.6 client sees every model
// delta as its own `content` item, as the model produces it, and the response is the multipart
// answer yoga gives (status 200, `x-copilotkit-runtime-version: 1.10.6`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGraphqlStack, makeClient, chatInput, userMessage, runGenerate, MockGemini } from './support/graphql-harness.mjs';


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
