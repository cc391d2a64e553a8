// The v1 CopilotRuntime callbacks seen from the real 1.74 client: `middleware.onBeforeRequest`
// must not break requests (1.75 answers every POST with 500 when it is set — we must not),
// `onAfterRequest` hears about finished runs, and server-side `actions` run on the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MockGemini, startNodeHttpStack, connectClient, recordEvents, types, waitFor, newId } from './support/agui-harness.mjs';


let stack;
const before_ = [];
const after_ = [];
const weather = [];
before(async () => {
  stack = await startNodeHttpStack({
    runtimeOptions: {
      middleware: {
        onBeforeRequest: (opts) => {
          before_.push(opts);
        },
        onAfterRequest: (opts) => {
          after_.push(opts);
        },
      },
      actions: [
        {
          name: 'getWeather',
          description: 'Get the weather for a city',
          parameters: [{ name: 'city', type: 'string', description: 'The city', required: true }],
          handler: async ({ city }) => {
            weather.push(city);
            return { city, temperature: 21 };
          },
        },
      ],
    },
  });
});
after(async () => {
  await stack.close();
});

test('with onBeforeRequest set, the client still connects (info is not a 500)', async () => {
  const { core, errors } = await connectClient(stack.url);
  assert.equal(core.runtimeTransport, 'single');
  assert.equal(stack.requests.find((r) => r.envelope?.method === 'info').status, 200);
  assert.deepEqual(errors, []);
});

test('with onBeforeRequest set, a run is answered and the hook sees the run', async () => {
  const { core, agent, errors } = await connectClient(stack.url);
  stack.mock.queue = []; // nothing left over from another test
  stack.mock.enqueue(MockGemini.text(['Still', ' works.']));
  const events = recordEvents(agent);
  agent.addMessage({ id: newId(), role: 'user', content: 'hello middleware' });
  await core.runAgent({ agent });
  assert.deepEqual(types(events), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED'], events.find((e) => e.type === 'RUN_ERROR')?.message);
  assert.equal(agent.messages.at(-1).content, 'Still works.');
  assert.deepEqual(errors, []);
  const seen = before_.find((b) => b.threadId === agent.threadId);
  assert.ok(seen, 'onBeforeRequest was called for the run');
  assert.match(seen.url, /\/api\/copilotkit$/);
  await waitFor(() => after_.find((a) => a.threadId === agent.threadId), { timeoutMs: 2000, what: 'onAfterRequest' });
});

test('a server action runs on the server; the client only sees its call and result', async () => {
  const { core, agent, errors } = await connectClient(stack.url);
  stack.mock.queue = [];
  stack.mock.enqueue(MockGemini.functionCalls([{ name: 'getWeather', args: { city: 'Paris' } }]));
  stack.mock.enqueue(MockGemini.text(['It is 21°C', ' in Paris.']));
  const upstreamBefore = stack.mock.requests.length;
  const events = recordEvents(agent);
  agent.addMessage({ id: newId(), role: 'user', content: 'Weather in Paris?' });
  await core.runAgent({ agent });
  assert.deepEqual(weather, ['Paris']);
  const t = types(events);
  assert.ok(t.includes('TOOL_CALL_RESULT'), t.join(','));
  assert.ok(!t.includes('RUN_ERROR'), events.find((e) => e.type === 'RUN_ERROR')?.message);
  const decls = stack.mock.requests[upstreamBefore].body.tools[0].functionDeclarations.map((d) => d.name);
  assert.ok(decls.includes('getWeather'));
  assert.deepEqual(errors, []);
});
