// Behaviour of the plain-JavaScript exports (lib/surface.js) and of the internal message classes
// (lib/internal.js), as in @copilotkit/runtime 1.10.6.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import test from 'node:test';

const require = createRequire(import.meta.url);
const surface = require('../lib/surface.js');
const internal = require('../lib/internal.js');

test('copilotKitEndpoint and langGraphPlatformEndpoint tag a copy of their config', () => {
  const onBeforeRequest = () => ({ headers: { a: 'b' } });
  const input = { url: 'http://localhost:8000/copilotkit', onBeforeRequest };
  const endpoint = surface.copilotKitEndpoint(input);
  assert.deepEqual(endpoint, { url: 'http://localhost:8000/copilotkit', onBeforeRequest, type: 'copilotKit' });
  assert.notEqual(endpoint, input);
  assert.equal(input.type, undefined);
  // A `type` in the config is overridden.
  assert.equal(surface.copilotKitEndpoint({ url: 'u', type: 'x' }).type, 'copilotKit');

  const lgp = surface.langGraphPlatformEndpoint({ deploymentUrl: 'https://d', langsmithApiKey: null, agents: [] });
  assert.deepEqual(lgp, { deploymentUrl: 'https://d', langsmithApiKey: null, agents: [], type: 'langgraph-platform' });
});

test('resolveEndpointType', () => {
  assert.equal(surface.resolveEndpointType({ url: 'u' }), 'copilotKit');
  assert.equal(surface.resolveEndpointType({ deploymentUrl: 'd', agents: [] }), 'langgraph-platform');
  assert.equal(surface.resolveEndpointType({ deploymentUrl: 'd' }), 'copilotKit');
  assert.equal(surface.resolveEndpointType({ agents: [] }), 'copilotKit');
  assert.equal(surface.resolveEndpointType({ type: 'langgraph-platform', url: 'u' }), 'langgraph-platform');
  assert.equal(surface.resolveEndpointType({ type: 'copilotKit', deploymentUrl: 'd', agents: [] }), 'copilotKit');
  assert.equal(surface.resolveEndpointType(surface.copilotKitEndpoint({ url: 'u' })), 'copilotKit');
});

test('flattenToolCallsNoDuplicates keeps the first action of each name, in order', () => {
  const a1 = { name: 'a', description: '1', jsonSchema: '{}' };
  const b = { name: 'b', description: '', jsonSchema: '{}' };
  const a2 = { name: 'a', description: '2', jsonSchema: '{}' };
  const c = { name: 'c', description: '', jsonSchema: '{}' };
  const out = surface.flattenToolCallsNoDuplicates([a1, b, a2, c]);
  assert.deepEqual(out, [a1, b, c]);
  assert.equal(out[0], a1);
  assert.deepEqual(surface.flattenToolCallsNoDuplicates([]), []);
});

test('config disables the Next.js body parser', () => {
  assert.deepEqual(surface.config, { api: { bodyParser: false } });
});

test('message classes: fields, order and predicates', () => {
  const { TextMessage, ActionExecutionMessage, ResultMessage, AgentStateMessage, ImageMessage, Message } = internal;
  const createdAt = new Date('2025-01-01T00:00:00Z');
  const text = new TextMessage({ id: 'm1', createdAt, content: 'hello', role: 'user' });
  assert.deepEqual(Object.keys(text), ['id', 'createdAt', 'type', 'content', 'role', 'parentMessageId']);
  assert.equal(text.type, 'TextMessage');
  assert.ok(text instanceof Message);
  assert.equal(JSON.stringify(text), '{"id":"m1","createdAt":"2025-01-01T00:00:00.000Z","type":"TextMessage","content":"hello","role":"user"}');

  const cases = [
    [text, 'isTextMessage'],
    [new ActionExecutionMessage({ name: 'f', arguments: { a: 1 } }), 'isActionExecutionMessage'],
    [new ResultMessage({ actionExecutionId: 'x', actionName: 'f', result: 'ok' }), 'isResultMessage'],
    [new AgentStateMessage({ agentName: 'a', state: {}, running: true }), 'isAgentStateMessage'],
    [new ImageMessage({ format: 'png', bytes: 'AAAA', role: 'user' }), 'isImageMessage'],
  ];
  const predicates = cases.map(([, p]) => p);
  for (const [message, yes] of cases) {
    for (const p of predicates) assert.equal(message[p](), p === yes, `${message.type}.${p}()`);
    assert.match(message.id, /^ck-[0-9a-f-]{36}$|^m1$/);
    assert.ok(message.createdAt instanceof Date);
  }
  assert.deepEqual(Object.keys(cases[1][0]), ['id', 'createdAt', 'type', 'name', 'arguments', 'parentMessageId']);
  assert.deepEqual(Object.keys(cases[2][0]), ['id', 'createdAt', 'type', 'actionExecutionId', 'actionName', 'result']);
  assert.deepEqual(Object.keys(cases[3][0]), [
    'id', 'createdAt', 'type', 'threadId', 'agentName', 'nodeName', 'runId', 'active', 'role', 'state', 'running',
  ]);
  assert.deepEqual(Object.keys(cases[4][0]), ['id', 'createdAt', 'type', 'format', 'bytes', 'role', 'parentMessageId']);

  // Constructed without props (as 1.10.6 does before assigning fields), nothing is filled in.
  const bare = new TextMessage();
  assert.equal(bare.id, undefined);
  assert.equal(bare.createdAt, undefined);
  assert.equal(bare.type, 'TextMessage');
});

test('ResultMessage encodes and decodes results and errors', () => {
  const { ResultMessage } = internal;
  assert.equal(ResultMessage.encodeResult('plain'), 'plain');
  assert.equal(ResultMessage.encodeResult(undefined), '');
  assert.equal(ResultMessage.encodeResult({ a: 1 }), '{"a":1}');
  assert.equal(ResultMessage.encodeResult(3), '3');
  assert.equal(ResultMessage.encodeResult('r', 'boom'), '{"error":{"code":"ERROR","message":"boom"},"result":"r"}');
  assert.equal(ResultMessage.encodeResult(undefined, new Error('bad')), '{"error":{"code":"ERROR","message":"bad"},"result":""}');
  assert.equal(
    ResultMessage.encodeResult('r', { code: 'E42', message: 'custom' }),
    '{"error":{"code":"E42","message":"custom"},"result":"r"}',
  );

  assert.deepEqual(ResultMessage.decodeResult(''), { result: '' });
  assert.deepEqual(ResultMessage.decodeResult('not json'), { result: 'not json' });
  assert.deepEqual(ResultMessage.decodeResult('42'), { result: '42' });
  assert.deepEqual(ResultMessage.decodeResult('{ "a": 1 }'), { result: '{"a":1}' });
  assert.deepEqual(ResultMessage.decodeResult('{"error":{"code":"E","message":"m"},"result":"r"}'), {
    error: { code: 'E', message: 'm' },
    result: 'r',
  });

  const failed = new ResultMessage({ result: ResultMessage.encodeResult(null, 'boom') });
  assert.equal(failed.hasError(), true);
  assert.deepEqual(failed.getError(), { code: 'ERROR', message: 'boom' });
  const ok = new ResultMessage({ result: '{"value":1}' });
  assert.equal(ok.hasError(), false);
  assert.equal(ok.getError(), undefined);
});

test('enums', () => {
  assert.deepEqual({ ...internal.EndpointType }, { CopilotKit: 'copilotKit', LangGraphPlatform: 'langgraph-platform' });
  assert.deepEqual(Object.values(internal.MessageRole), ['user', 'assistant', 'system', 'tool', 'developer']);
});
