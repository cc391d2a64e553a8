// Run by `callbacks-errors.test.mjs` as `node --unhandled-rejections=strict callbacks-child.mjs`:
// full requests on both protocols through a runtime whose every callback throws or rejects. The
// process must finish every request, print `SUMMARY {json}` and exit 0 on its own (no unhandled
// rejection, no uncaught exception, nothing left holding the event loop).
import {
  MockGemini, startStack, sleep, waitFor, aguiClient, runErrorOf, gqlClient, chatInput, userMessage, gqlRun,
} from './callbacks-harness.mjs';

const calls = { onError: 0, onAfterRequest: 0, onStopGeneration: 0, onBeforeRequest: 0, handler: 0, actionsFn: 0 };
const outcomes = {};

const upstream500 = (mock) => {
  for (let i = 0; i < 3; i++) mock.enqueue(MockGemini.error(500, 'Internal error encountered.', 'INTERNAL', undefined, { headers: { 'retry-after-ms': '1' } }));
};
const neverEnding = () => MockGemini.text(['Counting:', ' one'], { holdOpen: true, finishReason: null });

const stack = await startStack({
  actions: ({ properties }) => {
    calls.actionsFn++;
    if (properties.failActions) throw new Error('actions() blew up');
    return [
      {
        name: 'explode',
        description: 'Always fails',
        parameters: [],
        handler: async () => {
          calls.handler++;
          throw new Error('handler blew up');
        },
      },
    ];
  },
  middleware: {
    onBeforeRequest: ({ properties }) => {
      calls.onBeforeRequest++;
      if (properties.reject) return Promise.reject(new Error('rejected by middleware'));
    },
    onAfterRequest: () => {
      calls.onAfterRequest++;
      throw new Error('onAfterRequest blew up');
    },
  },
  // Alternately a synchronous throw and a rejection (with a non-Error).
  onError: () => {
    calls.onError++;
    if (calls.onError % 2) throw new Error('onError blew up');
    return Promise.reject('onError rejected with a string');
  },
  onStopGeneration: async () => {
    calls.onStopGeneration++;
    throw new Error('onStopGeneration blew up');
  },
});
const { mock } = stack;

async function aguiOutcome(properties, script, { stop = false } = {}) {
  const c = await aguiClient(stack.url, { properties });
  script();
  c.agent.addMessage({ id: `u-${crypto.randomUUID()}`, role: 'user', content: 'go' });
  const run = c.core.runAgent({ agent: c.agent }).catch((e) => e);
  if (stop) {
    await waitFor(() => c.events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').length === 2, { what: 'deltas' });
    c.core.stopAgent({ agent: c.agent });
    await run;
    return 'stopped';
  }
  await run;
  return runErrorOf(c.events) ? 'RUN_ERROR' : c.events.at(-1)?.type;
}

outcomes.aguiHandlerThrows = await aguiOutcome({}, () => mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }]), MockGemini.text(['Sorry.'])));
outcomes.aguiUpstream500 = await aguiOutcome({}, () => upstream500(mock));
outcomes.aguiBeforeRejects = await aguiOutcome({ reject: true }, () => {});
outcomes.aguiActionsFnThrows = await aguiOutcome({ failActions: true }, () => {});
outcomes.aguiStopped = await aguiOutcome({}, () => mock.enqueue(neverEnding()), { stop: true });

const { client } = gqlClient(stack.url);
const gqlOutcome = async (properties, script, opts = {}) => {
  script();
  const r = await gqlRun(client, chatInput({ messages: [userMessage('go')] }), { properties, ...opts });
  if (opts.signal?.aborted) return 'aborted';
  return r.error ? 'error' : r.final?.status?.code;
};
outcomes.gqlHandlerThrows = await gqlOutcome({}, () => mock.enqueue(MockGemini.functionCalls([{ name: 'explode', args: {} }])));
outcomes.gqlUpstream500 = await gqlOutcome({}, () => upstream500(mock));
outcomes.gqlBeforeRejects = await gqlOutcome({ reject: true }, () => {});
outcomes.gqlActionsFnThrows = await gqlOutcome({ failActions: true }, () => {});
const ac = new AbortController();
outcomes.gqlAborted = await gqlOutcome({}, () => mock.enqueue(neverEnding()), {
  signal: ac.signal,
  onRead: (v) => {
    if (v?.messages?.some((m) => m.__typename === 'TextMessageOutput' && (m.content ?? []).join('') === 'Counting: one')) ac.abort();
  },
});

// Let the detached callbacks (onError, onAfterRequest, onStopGeneration) run and fail.
await waitFor(() => calls.onStopGeneration >= 2, { timeoutMs: 5000, what: 'both onStopGeneration calls' }).catch(() => {});
await sleep(200);
await stack.close();
process.stdout.write(`SUMMARY ${JSON.stringify({ outcomes, calls })}\n`);
