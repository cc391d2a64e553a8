// GraphQL protocol (react-core ≤ 1.10), malformed requests: hand-written requests with the
// 1.10.6 client's headers get yoga's answers byte for byte (status, content type, body — the
// reference bodies of the g-malformed capture, spec §7.1), and the real client, when its input is
// rejected by the schema, reports what it reports against the 1.10.6 runtime: an HTTP 400 becomes
// its "Failed to find CopilotKit API endpoint" network error (spec §1.7). No model call is made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGraphqlStack, makeClient, rawPost, clientQuery, chatInput, userMessage, runGenerate, CLIENT_HEADERS } from './support/graphql-harness.mjs';

const GQL_JSON = 'application/graphql-response+json; charset=utf-8';

let stack;
before(async () => {
  stack = await startGraphqlStack();
});
after(async () => {
  assert.equal(stack.mock.requests.length, 0, 'no malformed request reached the model');
  await stack.close();
});

const mutation = clientQuery('generateCopilotResponse');
const someData = (message = { role: 'user', content: 'Hi' }) => ({
  frontend: { actions: [], url: 'http://localhost:3000/' },
  messages: [{ id: 'msg-user-1', createdAt: '2025-01-01T00:00:00.000Z', textMessage: message }],
  metadata: { requestType: 'Chat' },
});

// [name, raw body, extra/overridden headers, status, exact body, more header expectations]
const CASES = [
  [
    'truncated JSON',
    '{"query": "mutation {", "variables": ',
    {},
    400,
    '{"errors":[{"message":"POST body sent invalid JSON.","extensions":{"code":"BAD_REQUEST","originalError":{"name":"SyntaxError","message":"Unexpected end of JSON input, \\"{\\"query\\": \\"mutation {\\", \\"variables\\": \\" is not valid JSON"}}}]}',
  ],
  [
    'empty body',
    '',
    {},
    400,
    '{"errors":[{"message":"POST body sent invalid JSON.","extensions":{"code":"BAD_REQUEST","originalError":{"name":"SyntaxError","message":"Unexpected end of JSON input, \\"\\" is not valid JSON"}}}]}',
  ],
  [
    'GraphQL syntax error',
    '{\n  "query": "mutation generateCopilotResponse("\n}\n',
    {},
    400,
    '{"errors":[{"message":"Syntax Error: Expected \\"$\\", found <EOF>.","locations":[{"line":1,"column":34}],"extensions":{"code":"GRAPHQL_PARSE_FAILED"}}]}',
  ],
  [
    'unknown field',
    '{\n  "query": "query { doesNotExist }"\n}\n',
    {},
    400,
    '{"errors":[{"message":"Cannot query field \\"doesNotExist\\" on type \\"Query\\".","locations":[{"line":1,"column":9}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}',
  ],
  [
    'missing variable',
    JSON.stringify({ operationName: 'generateCopilotResponse', query: mutation, variables: {} }),
    {},
    400,
    '{"errors":[{"message":"Variable \\"$data\\" of required type \\"GenerateCopilotResponseInput!\\" was not provided.","locations":[{"line":1,"column":34}]}]}',
  ],
  [
    'no variables at all',
    JSON.stringify({ operationName: 'generateCopilotResponse', query: mutation }),
    {},
    400,
    '{"errors":[{"message":"Variable \\"$data\\" of required type \\"GenerateCopilotResponseInput!\\" was not provided.","locations":[{"line":1,"column":34}]}]}',
  ],
  [
    'unknown input field',
    JSON.stringify({ operationName: 'generateCopilotResponse', query: mutation, variables: { data: { ...someData(), bogusField: 1 }, properties: {} } }),
    {},
    400,
    '{"errors":[{"message":"Variable \\"$data\\" got invalid value { frontend: { actions: [], url: \\"http://localhost:3000/\\" }, messages: [{ id: \\"msg-user-1\\", createdAt: \\"2025-01-01T00:00:00.000Z\\", textMessage: [Object] }], metadata: { requestType: \\"Chat\\" }, bogusField: 1 }; Field \\"bogusField\\" is not defined by type \\"GenerateCopilotResponseInput\\".","locations":[{"line":1,"column":34}]}]}',
  ],
  [
    'missing required input fields',
    JSON.stringify({ operationName: 'generateCopilotResponse', query: mutation, variables: { data: { messages: [] } } }),
    {},
    400,
    '{"errors":[{"message":"Variable \\"$data\\" got invalid value { messages: [] }; Field \\"metadata\\" of required type \\"GenerateCopilotResponseMetadataInput!\\" was not provided.","locations":[{"line":1,"column":34}]},{"message":"Variable \\"$data\\" got invalid value { messages: [] }; Field \\"frontend\\" of required type \\"FrontendInput!\\" was not provided.","locations":[{"line":1,"column":34}]}]}',
  ],
  [
    'bad enum value',
    JSON.stringify({ operationName: 'generateCopilotResponse', query: mutation, variables: { data: someData({ role: 'robot', content: 'Hi' }) } }),
    {},
    400,
    '{"errors":[{"message":"Variable \\"$data\\" got invalid value \\"robot\\" at \\"data.messages[0].textMessage.role\\"; Value \\"robot\\" does not exist in \\"MessageRole\\" enum. Did you mean the enum value \\"tool\\"?","locations":[{"line":1,"column":34}]}]}',
  ],
  [
    'operationName not in the document',
    JSON.stringify({ operationName: 'nope', query: mutation, variables: { data: someData() } }),
    {},
    400,
    '{"errors":[{"message":"Could not determine what operation to execute.","extensions":{"code":"OPERATION_RESOLUTION_FAILURE"}}]}',
  ],
  [
    'no query',
    '{\n  "variables": {}\n}\n',
    {},
    400,
    '{"errors":[{"message":"Must provide query string.","extensions":{"code":"BAD_REQUEST"}}]}',
    { allow: 'GET, POST' },
  ],
  [
    'variables as a string',
    JSON.stringify({ operationName: 'loadAgentState', query: clientQuery('loadAgentState'), variables: JSON.stringify({ data: { threadId: 't', agentName: 'a' } }) }),
    {},
    400,
    '{"errors":[{"message":"Expected \\"variables\\" param to be empty or an object, but given string.","extensions":{"code":"BAD_REQUEST"}}]}',
    { allow: 'GET, POST' },
  ],
  [
    'batch',
    '[\n  {\n    "query": "query { hello }"\n  },\n  {\n    "query": "query { hello }"\n  }\n]\n',
    {},
    400,
    '{"errors":[{"message":"Batching is not supported.","extensions":{"code":"BAD_REQUEST"}}]}',
  ],
  ['content-type text/plain', '{\n  "query": "query { hello }"\n}\n', { 'content-type': 'text/plain' }, 415, '', { 'content-type': undefined }],
  [
    'JSON nested 200 levels deep',
    `{"query":"query { hello }","variables":{"a":${'['.repeat(200)}${']'.repeat(200)}}}`,
    {},
    400,
    '{"errors":[{"message":"POST body nests deeper than 128 levels.","extensions":{"code":"BAD_REQUEST"}}]}',
  ],
  [
    'invalid UTF-8 inside a string (decoded with U+FFFD, as the JS runtime decodes it)',
    Buffer.concat([Buffer.from('{"query":"query { hello }","operationName":null,"extensions":{"x":"'), Buffer.from([0xff]), Buffer.from('"}}')]),
    {},
    200,
    '{"data":{"hello":"Hello World"}}',
  ],
  [
    'invalid UTF-8 outside a string',
    Buffer.concat([Buffer.from('{"query":"query { hello }"'), Buffer.from([0xff]), Buffer.from('}')]),
    {},
    400,
    null,
  ],
  ['a well-formed query still works', '{\n  "query": "query { hello }"\n}\n', {}, 200, '{"data":{"hello":"Hello World"}}'],
  ['a query of __typename', '{\n  "query": "{ __typename }"\n}\n', {}, 200, '{"data":{"__typename":"Query"}}'],
];

for (const [name, body, headers, status, expected, moreHeaders] of CASES) {
  test(`hand-written request, ${name} → ${status} as yoga answers it`, async () => {
    const res = await rawPost(stack.url, body, { headers: { ...CLIENT_HEADERS, ...headers } });
    assert.equal(res.status, status);
    assert.equal(res.headers['x-copilotkit-runtime-version'], '1.10.6');
    const expectHeaders = { 'content-type': GQL_JSON, ...(moreHeaders ?? {}) };
    for (const [k, v] of Object.entries(expectHeaders)) assert.equal(res.headers[k], v, `header ${k}`);
    if (expected !== null) assert.equal(res.body, expected);
    if (status === 400) {
      // The shape the spec requires even where the exact text would differ: errors only, no data.
      assert.ok(Array.isArray(res.json.errors) && res.json.errors.length > 0);
      assert.equal('data' in res.json, false);
      for (const e of res.json.errors) assert.equal(typeof e.message, 'string');
    }
  });
}

// What the real 1.10.6 client makes of inputs the schema rejects (it cannot produce the other
// malformed requests): urql gets a 400, the client's fetch wrapper turns it into
// CopilotKitApiDiscoveryError, asStream errors and handleGQLErrors is called with it.
const CLIENT_CASES = [
  ['a message role the schema does not know', (d) => (d.messages[1].textMessage.role = 'robot')],
  ['an input field the schema does not know', (d) => (d.bogusField = 1)],
  ['a required input field left out', (d) => delete d.metadata],
];
for (const [name, breakIt] of CLIENT_CASES) {
  test(`the real client sending ${name} reports "Failed to find CopilotKit API endpoint"`, async () => {
    const { client, gqlErrors } = makeClient(stack.url);
    const data = chatInput({ messages: [userMessage('Hi')] });
    breakIt(data);
    const run = await runGenerate(client, data);
    assert.equal(run.reads.length, 0, 'no data at all');
    assert.ok(run.error, 'the stream errors');
    assert.deepEqual(run.error.graphQLErrors, []);
    assert.equal(run.error.networkError?.name, 'CopilotApiDiscoveryError');
    assert.match(run.error.message, /^\[Network\] Failed to find CopilotKit API endpoint/);
    assert.equal(gqlErrors.length, 1);
    assert.equal(gqlErrors[0], run.error);
  });
}

test('more messages than the maxMessages endpoint option → the client gets a MISUSE error naming the limit, no model call', async () => {
  const limited = await startGraphqlStack({ endpointOptions: { maxMessages: 2 } });
  try {
    const { client } = makeClient(limited.url);
    const run = await runGenerate(client, chatInput({ messages: [userMessage('one'), userMessage('two'), userMessage('three')] }));
    const errors = run.error?.graphQLErrors ?? run.reads.flatMap((r) => r.error?.graphQLErrors ?? []);
    assert.ok(errors.length > 0, `an error reaches the client: ${JSON.stringify(run)}`);
    assert.equal(errors[0].extensions.code, 'MISUSE');
    assert.match(errors[0].message, /Too many messages: \d+ in one request, the limit is 2 \(maxMessages option\)/);
    assert.equal(limited.mock.requests.length, 0);
  } finally {
    await limited.close();
  }
});
