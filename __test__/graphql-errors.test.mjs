// GraphQL protocol (react-core ≤ 1.10), model failures: once the multipart answer has started, a
// failure never becomes an HTTP error or a GraphQL error. It ends the stream with
// `FailedResponseStatus { reason: UNKNOWN_ERROR, details: { description, originalError } }` (what
// react-core turns into its error banner), and a text message left open gets
// `FailedMessageStatus` (spec §7.3).
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGraphqlStack, makeClient, chatInput, userMessage, runGenerate, MockGemini } from './support/graphql-harness.mjs';
import { TEST_API_KEY } from './support/stack.mjs';

// The codes react-core accepts in `originalError.code` (anything else makes it fall back).
const COPILOT_CODES = [
  'NETWORK_ERROR',
  'NOT_FOUND',
  'AGENT_NOT_FOUND',
  'API_NOT_FOUND',
  'REMOTE_ENDPOINT_NOT_FOUND',
  'AUTHENTICATION_ERROR',
  'MISUSE',
  'UNKNOWN',
  'CONFIGURATION_ERROR',
  'MISSING_PUBLIC_API_KEY_ERROR',
  'UPGRADE_REQUIRED_ERROR',
  'VERSION_MISMATCH',
];

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

/** Run one chat request, recording the HTTP status the client's fetch saw. */
async function chat(text, threadId) {
  const original = globalThis.fetch;
  const statuses = [];
  globalThis.fetch = async (...args) => {
    const res = await original(...args);
    statuses.push(res.status);
    return res;
  };
  const { client, gqlErrors } = makeClient(stack.url);
  try {
    const run = await runGenerate(client, chatInput({ messages: [userMessage(text)], threadId }));
    return { ...run, statuses, gqlErrors };
  } finally {
    globalThis.fetch = original;
  }
}

/** The common shape of a failed run as the client sees it. */
function assertFailedRun(run, { threadId, description }) {
  assert.equal(run.error, null, 'the client stream ends normally, it does not error');
  assert.deepEqual(run.gqlErrors, [], 'no GraphQL error reaches handleGQLErrors');
  assert.deepEqual(run.statuses, [200], 'never an HTTP error status');
  assert.equal(run.final.threadId, threadId);
  const status = run.final.status;
  assert.equal(status.__typename, 'FailedResponseStatus');
  assert.equal(status.code, 'Failed');
  assert.equal(status.reason, 'UNKNOWN_ERROR');
  assert.equal(typeof status.details.description, 'string');
  assert.match(status.details.description, description);
  // What react-core builds its banner error from.
  const oe = status.details.originalError;
  assert.ok(oe, 'details.originalError is present');
  assert.ok(COPILOT_CODES.includes(oe.code), `originalError.code ${oe.code} is a CopilotKit error code`);
  assert.ok(['banner', 'toast', 'silent', 'dev_only'].includes(oe.visibility));
  assert.ok(['critical', 'warning', 'info'].includes(oe.severity));
  return status;
}

test('upstream 500 (after the retries) → FailedResponseStatus UNKNOWN_ERROR, HTTP 200, no messages', async () => {
  const before = stack.mock.requests.length;
  for (let i = 0; i < 3; i++) {
    stack.mock.enqueue(MockGemini.error(500, 'Internal error encountered.', 'INTERNAL', undefined, { headers: { 'retry-after-ms': '5' } }));
  }
  const run = await chat('hello', 'thread-f');
  assert.equal(stack.mock.requests.length - before, 3, 'the call was retried twice');
  const status = assertFailedRun(run, { threadId: 'thread-f', description: /500|Internal error encountered/ });
  assert.equal(status.details.originalError.code, 'NETWORK_ERROR');
  assert.equal(status.details.originalError.statusCode, 500);
  assert.deepEqual(run.final.messages, []);
  assert.equal(run.messages.length, 0);
});

test('upstream 429 (after the retries) → FailedResponseStatus UNKNOWN_ERROR with a rate-limit description', async () => {
  const before = stack.mock.requests.length;
  const details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.01s' }];
  for (let i = 0; i < 3; i++) {
    stack.mock.enqueue(MockGemini.error(429, 'Resource has been exhausted (e.g. check quota).', 'RESOURCE_EXHAUSTED', details));
  }
  const run = await chat('hello', 'thread-f2');
  assert.equal(stack.mock.requests.length - before, 3);
  const status = assertFailedRun(run, { threadId: 'thread-f2', description: /429|exhausted|quota|rate/i });
  assert.equal(status.details.originalError.code, 'CONFIGURATION_ERROR');
  assert.equal(status.details.originalError.statusCode, 429);
  assert.deepEqual(run.final.messages, []);
});

test('upstream stream cut mid-answer → the text so far, FailedMessageStatus on it, FailedResponseStatus', async () => {
  stack.mock.enqueue(MockGemini.text(['Hel', 'lo', ' wor', 'ld'], { delayMs: 20, cutAfter: 2 }));
  const run = await chat('hello', 'thread-f3');
  const status = assertFailedRun(run, { threadId: 'thread-f3', description: /\S/ });
  assert.equal(status.details.originalError.code, 'NETWORK_ERROR');
  assert.equal(run.final.messages.length, 1);
  const msg = run.final.messages[0];
  assert.equal(msg.__typename, 'TextMessageOutput');
  assert.deepEqual(msg.content, ['Hel', 'lo']);
  assert.equal(msg.status.__typename, 'FailedMessageStatus');
  assert.equal(msg.status.code, 'Failed');
  assert.equal(typeof msg.status.reason, 'string');
  assert.ok(msg.status.reason.length > 0);
  // react-core keeps the partial text, marked failed.
  assert.equal(run.messages[0].content, 'Hello');
  assert.equal(run.messages[0].status.code, 'Failed');
});

test('upstream error event inside the stream → FailedResponseStatus, HTTP 200', async () => {
  stack.mock.enqueue({ ...MockGemini.text(['Partial']), finishReason: null, inBandError: { code: 500, message: 'Internal error mid-stream', status: 'INTERNAL' } });
  const run = await chat('hello', 'thread-f4');
  assertFailedRun(run, { threadId: 'thread-f4', description: /Internal error mid-stream|500/ });
  assert.equal(run.final.messages[0].status.__typename, 'FailedMessageStatus');
});

test('a rejected API key → AUTHENTICATION_ERROR banner; the next request on the same server is fine', async () => {
  stack.mock.enqueue(
    MockGemini.error(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
    ]),
  );
  const failed = await chat('hello', 'thread-f5');
  const status = assertFailedRun(failed, { threadId: 'thread-f5', description: /API key/ });
  assert.equal(status.details.originalError.code, 'AUTHENTICATION_ERROR');
  assert.ok(!JSON.stringify(status).includes(TEST_API_KEY), 'the configured key never reaches the client');
  stack.mock.enqueue(MockGemini.text(['Fine', ' now']));
  const ok = await chat('again', 'thread-f6');
  assert.deepEqual(ok.final.status, { code: 'Success', __typename: 'SuccessResponseStatus' });
  assert.equal(ok.messages[0].content, 'Fine now');
});
