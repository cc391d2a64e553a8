// User agents (`new CopilotRuntime({ agents })`) on the GraphQL protocol, driven by the real
// @copilotkit/runtime-client-gql 1.10.6 client the way react-core does for `<CopilotKit agent=…>`
// (`agentSession`): an AbstractAgent subclass from the real @ag-ui/client, an HttpAgent that Rust
// calls itself, state and interrupt meta events, unknown agents, failures, stopping a run, and the
// `loadAgentState` of a thread an agent session ran.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGraphqlStack, makeClient, chatInput, userMessage, runGenerate, frontendAction } from './support/graphql-harness.mjs';

const { AbstractAgent, HttpAgent, EventType } = await import('@ag-ui/client');
const { Observable } = await import('rxjs');

const SUCCESS = { code: 'Success', __typename: 'SuccessResponseStatus' };
const byType = (messages, t) => messages.filter((m) => m.__typename === t);

const inputs = [];
class ResearchAgent extends AbstractAgent {
  run(input) {
    inputs.push(input);
    return new Observable((sub) => {
      const last = input.messages.at(-1);
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.STEP_STARTED, stepName: 'research' });
      sub.next({ type: EventType.STATE_SNAPSHOT, snapshot: { ...input.state, step: 1 } });
      sub.next({ type: EventType.TEXT_MESSAGE_START, messageId: `r-${input.runId}`, role: 'assistant' });
      sub.next({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: `r-${input.runId}`, delta: 'Looking into ' });
      sub.next({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: `r-${input.runId}`, delta: String(last?.content ?? '') });
      sub.next({ type: EventType.TEXT_MESSAGE_END, messageId: `r-${input.runId}` });
      sub.next({ type: EventType.TOOL_CALL_START, toolCallId: `t-${input.runId}`, toolCallName: 'showNote', parentMessageId: `r-${input.runId}` });
      sub.next({ type: EventType.TOOL_CALL_ARGS, toolCallId: `t-${input.runId}`, delta: '{"note":"found"}' });
      sub.next({ type: EventType.TOOL_CALL_END, toolCallId: `t-${input.runId}` });
      sub.next({ type: EventType.STATE_DELTA, delta: [{ op: 'replace', path: '/step', value: 2 }] });
      sub.next({ type: EventType.STEP_FINISHED, stepName: 'research' });
      sub.next({ type: EventType.RUN_FINISHED, threadId: input.threadId, runId: input.runId });
      sub.complete();
    });
  }
}

class InterruptingAgent extends AbstractAgent {
  run(input) {
    inputs.push(input);
    return new Observable((sub) => {
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.STATE_SNAPSHOT, snapshot: { pending: 'approval' } });
      sub.next({ type: EventType.CUSTOM, name: 'on_interrupt', value: JSON.stringify({ question: 'Proceed?' }) });
      sub.next({ type: EventType.RUN_FINISHED, threadId: input.threadId, runId: input.runId });
      sub.complete();
    });
  }
}

class FailingAgent extends AbstractAgent {
  run(input) {
    return new Observable((sub) => {
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.TEXT_MESSAGE_START, messageId: 'f1', role: 'assistant' });
      sub.next({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'f1', delta: 'Half an ans' });
      setTimeout(() => sub.error(new Error('scripted agent failure')), 5);
    });
  }
}

let unsubscribed = 0;
class EndlessAgent extends AbstractAgent {
  run(input) {
    return new Observable((sub) => {
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.TEXT_MESSAGE_START, messageId: 'e1', role: 'assistant' });
      const t = setInterval(() => sub.next({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'e1', delta: '.' }), 10);
      return () => {
        clearInterval(t);
        unsubscribed += 1;
      };
    });
  }
}

let aguiServer;
const aguiRequests = [];
let stack;
const stops = [];

before(async () => {
  // A local AG-UI agent server for the HttpAgent.
  aguiServer = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      const input = JSON.parse(b);
      aguiRequests.push({ headers: req.headers, input });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (e) => res.write(`data: ${JSON.stringify(e)}\n\n`);
      send({ type: 'RUN_STARTED', threadId: input.threadId, runId: input.runId });
      send({ type: 'STATE_SNAPSHOT', snapshot: { source: 'http' } });
      send({ type: 'TEXT_MESSAGE_CHUNK', messageId: 'h1', role: 'assistant', delta: 'from the http agent' });
      send({ type: 'RUN_FINISHED', threadId: input.threadId, runId: input.runId });
      res.end();
    });
  });
  await new Promise((r) => aguiServer.listen(0, '127.0.0.1', r));
  const httpAgent = new HttpAgent({ url: `http://127.0.0.1:${aguiServer.address().port}/agent`, headers: { authorization: 'Bearer server' } });
  // Rust must call the URL itself: HttpAgent's JS event path may never run.
  Object.getPrototypeOf(httpAgent).run = () => {
    throw new Error('the HttpAgent JS path was used');
  };
  stack = await startGraphqlStack({
    runtimeOptions: {
      agents: { research: new ResearchAgent(), interrupting: new InterruptingAgent(), remote_http: httpAgent, failing: new FailingAgent(), endless: new EndlessAgent() },
      onStopGeneration: (p) => stops.push(p),
    },
  });
});
after(async () => {
  await stack.close();
  aguiServer.close();
});
beforeEach(() => {
  inputs.length = 0;
  aguiRequests.length = 0;
});

test('an AbstractAgent subclass through agentSession: text, tool calls and state as GraphQL messages', async () => {
  const { client } = makeClient(stack.url);
  const showNote = frontendAction({ name: 'showNote', description: 'Show a note', parameters: [{ name: 'note', type: 'string' }] });
  const data = chatInput({
    messages: [userMessage('beavers', 'u-research')],
    actions: [showNote],
    threadId: 'gql-research',
    extra: { agentSession: { agentName: 'research' }, agentStates: [{ agentName: 'research', state: JSON.stringify({ topic: 'beavers' }) }] },
  });
  const modelCalls = stack.mock.requests.length;
  const run = await runGenerate(client, data);
  assert.equal(run.error, null);
  assert.deepEqual(run.final.status, SUCCESS);
  assert.equal(run.final.threadId, 'gql-research');
  assert.equal(run.final.runId, null);
  assert.equal(stack.mock.requests.length, modelCalls, 'the agent answers, not the model');

  const msgs = run.final.messages;
  const [text] = byType(msgs, 'TextMessageOutput');
  assert.deepEqual(text.content, ['Looking into ', 'beavers']);
  const [action] = byType(msgs, 'ActionExecutionMessageOutput');
  assert.equal(action.name, 'showNote');
  assert.equal(action.arguments.join(''), '{"note":"found"}');
  const states = byType(msgs, 'AgentStateMessageOutput');
  assert.ok(states.length >= 3);
  assert.ok(states.every((s) => s.agentName === 'research' && s.threadId === 'gql-research'));
  assert.deepEqual(JSON.parse(states.at(-1).state), { topic: 'beavers', step: 2 });
  assert.equal(states.at(-1).active, false, 'the last state message ends the session');
  assert.ok(states.some((s) => s.nodeName === 'research' && s.active));

  // What the agent was given.
  const [input] = inputs;
  assert.equal(input.threadId, 'gql-research');
  assert.deepEqual(input.state, { topic: 'beavers' });
  assert.deepEqual(input.messages.at(-1), { id: 'u-research', role: 'user', content: 'beavers' });
  assert.deepEqual(input.tools.map((t) => t.name), ['showNote']);
});

test('an HttpAgent through agentSession is called by Rust, with no JavaScript in its event path', async () => {
  const { client } = makeClient(stack.url, { headers: { 'x-trace': 'client', authorization: 'Bearer client' } });
  const run = await runGenerate(client, chatInput({ messages: [userMessage('hello')], threadId: 'gql-http', extra: { agentSession: { agentName: 'remote_http' } } }));
  assert.equal(run.error, null, 'the patched JS run() would have thrown');
  assert.deepEqual(run.final.status, SUCCESS);
  const [text] = byType(run.final.messages, 'TextMessageOutput');
  assert.equal(text.content.join(''), 'from the http agent');
  const states = byType(run.final.messages, 'AgentStateMessageOutput');
  assert.deepEqual(JSON.parse(states[0].state), { source: 'http' });
  const [seen] = aguiRequests;
  assert.equal(seen.input.threadId, 'gql-http');
  assert.equal(seen.headers.authorization, 'Bearer server', 'the agent\'s own headers win');
  assert.equal(seen.headers['x-trace'], 'client');
});

test('state messages and an interrupt: AgentStateMessageOutput and a LangGraphInterruptEvent meta event; the resume is forwarded', async () => {
  const { client } = makeClient(stack.url);
  const run = await runGenerate(client, chatInput({ messages: [userMessage('do it')], threadId: 'gql-interrupt', extra: { agentSession: { agentName: 'interrupting' } } }));
  assert.equal(run.error, null);
  assert.deepEqual(run.final.status, SUCCESS);
  const [state] = byType(run.final.messages, 'AgentStateMessageOutput');
  assert.deepEqual(JSON.parse(state.state), { pending: 'approval' });
  assert.equal(run.final.metaEvents.length, 1);
  assert.equal(run.final.metaEvents[0].__typename, 'LangGraphInterruptEvent');
  assert.equal(run.final.metaEvents[0].name, 'LangGraphInterruptEvent');
  assert.deepEqual(JSON.parse(run.final.metaEvents[0].value), { question: 'Proceed?' });

  // react-core answers the interrupt in the next request's metaEvents.
  const resume = chatInput({
    messages: [userMessage('do it')],
    threadId: 'gql-interrupt',
    extra: { agentSession: { agentName: 'interrupting' }, metaEvents: [{ name: 'LangGraphInterruptEvent', value: run.final.metaEvents[0].value, response: 'yes' }] },
  });
  const again = await runGenerate(client, resume);
  assert.equal(again.error, null);
  assert.deepEqual(inputs.at(-1).forwardedProps.command, { resume: 'yes' });
});

test('an unknown agent name: AGENT_NOT_FOUND listing the agents, and the runtime keeps serving the others', async () => {
  const { client } = makeClient(stack.url);
  const run = await runGenerate(client, chatInput({ messages: [userMessage('hi')], extra: { agentSession: { agentName: 'nope' } } }));
  const [err] = run.error.graphQLErrors;
  assert.equal(err.extensions.code, 'AGENT_NOT_FOUND');
  assert.match(err.message, /^Agent 'nope' was not found\. Available agents are: research, interrupting, remote_http, failing, endless\./);
  // No narrowing, no poisoning (1.10.6 would answer UNKNOWN from here on).
  const ok = await runGenerate(client, chatInput({ messages: [userMessage('otters')], threadId: 'gql-after-unknown', extra: { agentSession: { agentName: 'research' } } }));
  assert.equal(ok.error, null);
  assert.deepEqual(ok.final.status, SUCCESS);
  const other = await runGenerate(client, chatInput({ messages: [userMessage('again')], threadId: 'gql-after-unknown-2', extra: { agentSession: { agentName: 'interrupting' } } }));
  assert.deepEqual(other.final.status, SUCCESS);
});

test('an agent that errors mid-run: the open message fails and so does the response', async () => {
  const { client } = makeClient(stack.url);
  const run = await runGenerate(client, chatInput({ messages: [userMessage('go')], threadId: 'gql-failing', extra: { agentSession: { agentName: 'failing' } } }));
  assert.equal(run.error, null);
  assert.equal(run.final.status.code, 'Failed');
  assert.match(run.final.status.details.description, /scripted agent failure/);
  const [text] = byType(run.final.messages, 'TextMessageOutput');
  assert.equal(text.content.join(''), 'Half an ans');
  assert.equal(text.status.code, 'Failed');
});

test('stopping (the client aborts) cancels the agent run: the agent is unsubscribed and onStopGeneration is told', async () => {
  const { client } = makeClient(stack.url);
  const controller = new AbortController();
  const before = unsubscribed;
  await runGenerate(client, chatInput({ messages: [userMessage('forever')], threadId: 'gql-endless', extra: { agentSession: { agentName: 'endless' } } }), {
    signal: controller.signal,
    onRead: (v) => {
      if (v?.messages?.[0]?.content?.length >= 3) controller.abort();
    },
  });
  for (let i = 0; i < 200 && (unsubscribed === before || !stops.some((s) => s.threadId === 'gql-endless')); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(unsubscribed, before + 1, 'the agent subscription was torn down');
  const stop = stops.find((s) => s.threadId === 'gql-endless');
  assert.ok(stop, `onStopGeneration was called (saw ${JSON.stringify(stops)})`);
  assert.equal(stop.agentName, 'endless');
});

test('loadAgentState: a thread an agent session ran comes back from the store; other threads do not exist', async () => {
  const { client } = makeClient(stack.url);
  await runGenerate(client, chatInput({ messages: [userMessage('kelp', 'u-kelp')], threadId: 'gql-stored', extra: { agentSession: { agentName: 'research' } } }));
  const stored = await client.loadAgentState({ threadId: 'gql-stored', agentName: 'research' }).toPromise();
  assert.equal(stored.error, undefined);
  const s = stored.data.loadAgentState;
  assert.equal(s.threadExists, true);
  assert.deepEqual(JSON.parse(s.state), { step: 2 });
  const messages = JSON.parse(s.messages);
  assert.deepEqual(messages.find((m) => m.id === 'u-kelp'), { role: 'user', content: 'kelp', id: 'u-kelp' });
  const text = messages.find((m) => m.role === 'assistant');
  assert.equal(text.content, 'Looking into kelp');
  const call = messages.find((m) => m.name === 'showNote');
  assert.deepEqual(call.arguments, { note: 'found' });

  const fresh = await client.loadAgentState({ threadId: 'thread-e2', agentName: 'research' }).toPromise();
  assert.deepEqual(fresh.data.loadAgentState, { threadId: 'thread-e2', threadExists: false, state: '{}', messages: '[]', __typename: 'LoadAgentStateResponse' });

  const unknown = await client.loadAgentState({ threadId: 'gql-stored', agentName: 'nope' }).toPromise();
  assert.equal(unknown.error.graphQLErrors[0].extensions.code, 'AGENT_NOT_FOUND');
});

test('availableAgents lists no configured agents (only remote endpoint agents are listed there)', async () => {
  const { client } = makeClient(stack.url);
  const result = await client.availableAgents().toPromise();
  assert.deepEqual(result.data.availableAgents.agents, []);
});
