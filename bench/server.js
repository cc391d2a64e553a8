#!/usr/bin/env node
// One server under test, run by bench/run.js as its own process pinned to one CPU:
//
//   taskset -c 0 node bench/server.js --target ours|js-1.10.6|js-1.75.0|floor --mock http://127.0.0.1:PORT
//
// Every runtime target is a plain node:http server with the documented
// `copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint })` setup; the package is the
// only difference. `--setup docs` (default) builds the runtime and the handler inside the request
// listener, as the docs' Node.js HTTP example does; `--setup hoisted` builds them once at start.
//
// `floor` is the least any server in front of Gemini can do: read the client's body, send it to
// the upstream unparsed, and pipe the upstream's SSE bytes back unparsed.
//
// Prints `READY <port>` on stdout once it listens.
'use strict';

const http = require('node:http');
const path = require('node:path');

const args = parseArgs(process.argv.slice(2));
const target = args.target;
const mockUrl = args.mock;
const setup = args.setup || 'docs';
const ENDPOINT = '/api/copilotkit';
const MODEL = 'gemini-2.5-flash';
const GOOGLE_ORIGIN = 'https://generativelanguage.googleapis.com';

if (!target || !mockUrl) {
  process.stderr.write('usage: node bench/server.js --target ours|js-1.10.6|js-1.75.0|floor --mock URL [--setup docs|hoisted] [--port N]\n');
  process.exit(2);
}

process.env.GOOGLE_API_KEY = process.env.GOOGLE_API_KEY || 'bench-dummy-key';
process.env.COPILOTKIT_TELEMETRY_DISABLED = 'true';
process.env.DO_NOT_TRACK = '1';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else out[a.slice(2)] = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
  }
  return out;
}

/**
 * The JS runtimes call Gemini through the global fetch (1.75: @ai-sdk/google; 1.10.6: LangChain's
 * ChatGoogle). Send those calls to the mock, and refuse every other non-loopback URL so nothing
 * (telemetry included) leaves the machine.
 */
function redirectGoogleFetch() {
  const realFetch = globalThis.fetch;
  globalThis.fetch = function benchFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(GOOGLE_ORIGIN)) {
      const to = mockUrl + url.slice(GOOGLE_ORIGIN.length);
      if (typeof input === 'string' || input instanceof URL) return realFetch(to, init);
      return realFetch(new Request(to, input), init);
    }
    let host = '';
    try {
      host = new URL(url).hostname;
    } catch {
      /* relative or bad URL: let fetch report it */
    }
    if (host && host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
      return Promise.reject(new TypeError(`bench: refused non-loopback fetch to ${host}`));
    }
    return realFetch(input, init);
  };
}

function runtimeListener(pkg) {
  const { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNodeHttpEndpoint } = pkg;
  if (setup === 'hoisted') {
    const serviceAdapter = new GoogleGenerativeAIAdapter({ model: MODEL });
    const runtime = new CopilotRuntime();
    const handler = copilotRuntimeNodeHttpEndpoint({ endpoint: ENDPOINT, runtime, serviceAdapter });
    return (req, res) => handler(req, res);
  }
  // The docs' Node.js HTTP example: adapter at module level, runtime and handler per request.
  const serviceAdapter = new GoogleGenerativeAIAdapter({ model: MODEL });
  return (req, res) => {
    const runtime = new CopilotRuntime();
    const handler = copilotRuntimeNodeHttpEndpoint({ endpoint: ENDPOINT, runtime, serviceAdapter });
    return handler(req, res);
  };
}

function floorListener() {
  const upstream = new URL(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, mockUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  return (req, res) => {
    const up = http.request(
      upstream,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-goog-api-key': process.env.GOOGLE_API_KEY },
      },
      (ur) => {
        res.writeHead(ur.statusCode, { 'content-type': ur.headers['content-type'] || 'text/event-stream', 'cache-control': 'no-cache' });
        ur.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };
}

function load() {
  switch (target) {
    case 'floor':
      return floorListener();
    case 'ours':
      // Our runtime reads the upstream base URL from the environment.
      process.env.GOOGLE_GEMINI_BASE_URL = mockUrl;
      return runtimeListener(require(path.resolve(__dirname, '..')));
    case 'js-1.10.6':
      redirectGoogleFetch();
      return runtimeListener(require('@copilotkit/runtime-1.10.6'));
    case 'js-1.75.0':
      redirectGoogleFetch();
      return runtimeListener(require('@copilotkit/runtime-1.75.0'));
    default:
      process.stderr.write(`bench server: unknown target ${target}\n`);
      process.exit(2);
  }
}

const listener = load();
const server = http.createServer(listener);
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen(Number(args.port || 0), '127.0.0.1', 2048, () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
// A runtime that rejects somewhere in the background must not take the benchmark down; the load
// generator sees the failed request.
process.on('unhandledRejection', (err) => {
  process.stderr.write(`bench server (${target}): unhandled rejection: ${err && err.stack ? err.stack.split('\n')[0] : err}\n`);
});
