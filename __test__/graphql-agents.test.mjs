// GraphQL protocol (react-core ≤ 1.10), the two queries react-core sends besides the chat
// mutation: `availableAgents` (on mount) and `loadAgentState` (to restore an agent thread). This
// runtime serves no GraphQL-era agents yet: the list is empty and every agent is AGENT_NOT_FOUND,
// reported the way the 1.10.6 runtime reports it (HTTP 200, `data: null`, CopilotKit extensions).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGraphqlStack, makeClient, rawPost, clientQuery, chatInput, userMessage, runGenerate, CLIENT_HEADERS } from './support/graphql-harness.mjs';

let stack;
before(async () => {
  stack = await startGraphqlStack();
});
after(async () => {
  await stack.close();
});

test('availableAgents → { agents: [] } through the real client', async () => {
  const { client, gqlErrors } = makeClient(stack.url);
  const result = await client.availableAgents().toPromise();
  assert.equal(result.error, undefined);
  assert.deepEqual(result.data, { availableAgents: { agents: [], __typename: 'AgentsResponse' } });
  assert.deepEqual(gqlErrors, []);
  assert.equal(stack.mock.requests.length, 0, 'no model call for a query');
});

test('availableAgents on the wire: 200, plain GraphQL JSON, version header', async () => {
  const res = await rawPost(stack.url, { operationName: 'availableAgents', query: clientQuery('availableAgents'), variables: {} });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/graphql-response+json; charset=utf-8');
  assert.equal(res.headers['x-copilotkit-runtime-version'], '1.10.6');
  assert.deepEqual(res.json, { data: { availableAgents: { agents: [], __typename: 'AgentsResponse' } } });
});

test('loadAgentState for an unknown agent → the AGENT_NOT_FOUND error the client surfaces', async () => {
  const { client, gqlErrors } = makeClient(stack.url);
  const result = await client.loadAgentState({ threadId: 'thread-e', agentName: 'nope' }).toPromise();
  assert.equal(result.data, null);
  assert.ok(result.error, 'the client reports an error');
  assert.equal(result.error.networkError, undefined, 'a GraphQL error, not a network error');
  assert.equal(result.error.graphQLErrors.length, 1);
  const [err] = result.error.graphQLErrors;
  assert.match(err.message, /Agent 'nope' was not found/);
  assert.match(result.error.message, /^\[GraphQL\] Agent 'nope' was not found/);
  assert.deepEqual(err.path, ['loadAgentState']);
  assert.equal(err.extensions.code, 'AGENT_NOT_FOUND');
  assert.equal(err.extensions.name, 'CopilotError');
  assert.equal(err.extensions.statusCode, 500);
  assert.equal(err.extensions.visibility, 'banner');
  assert.equal(err.extensions.severity, 'critical');
  assert.match(err.extensions.originalError.message, /Agent 'nope' was not found/);

  // loadAgentState also hands the error to handleGQLErrors (react-core shows it from there).
  for (let i = 0; i < 50 && gqlErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(gqlErrors.length, 1);
  assert.equal(gqlErrors[0].graphQLErrors[0].extensions.code, 'AGENT_NOT_FOUND');
});

test('loadAgentState on the wire: HTTP 200, data null, one located error with the root path', async () => {
  const res = await rawPost(stack.url, {
    operationName: 'loadAgentState',
    query: clientQuery('loadAgentState'),
    variables: { data: { agentName: 'nope', threadId: 'thread-e' } },
  }, { headers: CLIENT_HEADERS });
  assert.equal(res.status, 200, 'an execution error is never an HTTP error (the client would call it "API not found")');
  assert.equal(res.headers['content-type'], 'application/graphql-response+json; charset=utf-8');
  assert.equal(res.headers['x-copilotkit-runtime-version'], '1.10.6');
  assert.equal(res.json.data, null);
  assert.equal(res.json.errors.length, 1);
  const [err] = res.json.errors;
  assert.deepEqual(err.locations, [{ line: 2, column: 3 }]);
  assert.deepEqual(err.path, ['loadAgentState']);
  assert.equal(err.extensions.code, 'AGENT_NOT_FOUND');
});

test('a chat request with an agentSession for an unknown agent fails with AGENT_NOT_FOUND before any model call', async () => {
  const { client } = makeClient(stack.url);
  const before = stack.mock.requests.length;
  const data = chatInput({ messages: [userMessage('hi')], extra: { agentSession: { agentName: 'nope', threadId: 'thread-e5' } } });
  const run = await runGenerate(client, data);
  assert.ok(run.error, 'the stream errors');
  assert.equal(run.error.graphQLErrors?.[0]?.extensions?.code, 'AGENT_NOT_FOUND');
  assert.equal(stack.mock.requests.length, before);
});
