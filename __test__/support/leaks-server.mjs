// Run by `security-leaks.test.mjs` as a child process, so that everything the server prints (the
// Rust `tracing` log on stderr included) can be captured: our runtime behind
// `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1:0, in front of the test's mock Gemini, with one
// route per configuration that fails in its own way:
//
//   /api/main    adapter `apiKey` option; a server-side action `explode` whose handler throws an Error
//   /api/env     the key from GOOGLE_API_KEY (no `apiKey` option)
//   /api/mw      middleware.onBeforeRequest throws
//   /api/remote  remoteEndpoints: one that cannot be reached (LEAKS_UNREACHABLE_URL) and one that
//                answers errors (LEAKS_FAILING_REMOTE_URL)
//
// Every `onError` event's message is printed to stdout (`onError: <json>`), the way an application
// would log it. Prints `LISTENING <port>` once ready; SIGTERM closes the server and exits 0.
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../../index.js');

const { LEAKS_MOCK_URL: mockUrl, LEAKS_API_KEY: apiKey, LEAKS_UNREACHABLE_URL: unreachable, LEAKS_FAILING_REMOTE_URL: failing } = process.env;

const onError = (route) => (e) => {
  process.stdout.write(`onError: ${JSON.stringify({ route, type: e?.type, message: e?.error?.message ?? null })}\n`);
};

// Thrown from inside a named function, so its stack has frames in this file (the repo path).
function stationOnFire() {
  throw new Error('the weather station is on fire');
}

const routes = {
  '/api/main': {
    runtime: new pkg.CopilotRuntime({
      actions: [
        {
          name: 'explode',
          description: 'Always fails',
          parameters: [{ name: 'city', type: 'string', description: 'a city', required: false }],
          handler: async () => stationOnFire(),
        },
      ],
      onError: onError('main'),
    }),
    serviceAdapter: new pkg.GoogleGenerativeAIAdapter({ apiKey, baseUrl: mockUrl }),
  },
  '/api/env': {
    runtime: new pkg.CopilotRuntime({ onError: onError('env') }),
    serviceAdapter: new pkg.GoogleGenerativeAIAdapter({ baseUrl: mockUrl }),
  },
  '/api/mw': {
    runtime: new pkg.CopilotRuntime({
      middleware: {
        onBeforeRequest: () => {
          throw new Error('Access denied by policy');
        },
      },
      onError: onError('mw'),
    }),
    serviceAdapter: new pkg.GoogleGenerativeAIAdapter({ apiKey, baseUrl: mockUrl }),
  },
  '/api/remote': {
    runtime: new pkg.CopilotRuntime({
      remoteEndpoints: [pkg.copilotKitEndpoint({ url: unreachable }), pkg.copilotKitEndpoint({ url: failing })],
      onError: onError('remote'),
    }),
    serviceAdapter: new pkg.GoogleGenerativeAIAdapter({ apiKey, baseUrl: mockUrl }),
  },
};

const handlers = Object.entries(routes).map(([endpoint, { runtime, serviceAdapter }]) => [
  endpoint,
  pkg.copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint }),
]);

const server = http.createServer((req, res) => {
  const hit = handlers.find(([endpoint]) => req.url === endpoint || req.url.startsWith(`${endpoint}/`));
  if (hit) return hit[1](req, res);
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('no such route');
});
const sockets = new Set();
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
process.on('SIGTERM', () => {
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
});
