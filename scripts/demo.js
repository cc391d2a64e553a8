#!/usr/bin/env node
// `npm run demo`: the Next.js App Router example (examples/nextjs-app-router, the docs' quickstart on
// this package) at http://localhost:3000 with a working chat.
//
// With GOOGLE_API_KEY set it talks to Gemini. Without it, it talks to the project's offline
// Gemini-compatible mock — a clearly labelled demo model that streams text and calls the example's
// actions when your words name them — so the whole thing works offline.
//
// The first run installs the example's packages and builds it (a few minutes); later runs start at
// once. PORT changes the port (default 3000).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ex = require(path.join(root, '__test__', 'support', 'e2e-examples.js'));
const { MockGemini } = require(path.join(root, '__test__', 'support', 'mock-gemini.js'));

const EXAMPLE = 'nextjs-app-router';
const say = (msg) => process.stdout.write(`${msg}\n`);

async function main() {
  if (!fs.existsSync(path.join(root, 'binding.js'))) {
    say('The native addon is not built yet: run `npm install` first (it builds it).');
    process.exit(1);
  }
  const port = Number(process.env.PORT || 3000);
  say(`Preparing examples/${EXAMPLE} (installed and built once; later runs skip this)...`);
  ex.prepare([EXAMPLE]);

  const env = {};
  let mock = null;
  if (process.env.GOOGLE_API_KEY) {
    say('GOOGLE_API_KEY is set: the chat talks to Gemini.');
  } else {
    mock = await MockGemini.start();
    env.GOOGLE_API_KEY = 'offline-demo';
    env.GOOGLE_GEMINI_BASE_URL = mock.url;
    say(`GOOGLE_API_KEY is not set: the chat talks to the offline demo model (a local Gemini-compatible mock at ${mock.url}).`);
  }

  let server;
  try {
    server = await ex.startExample(EXAMPLE, { port, env, quiet: false });
  } catch (err) {
    say(String(err.message || err));
    say(`Is port ${port} already in use? Try PORT=3001 npm run demo`);
    if (mock) await mock.close();
    process.exit(1);
  }

  say('');
  say(`  Open http://localhost:${port} and chat.`);
  if (mock) {
    say('  The offline demo model labels its answers "[offline demo model]". Try:');
    say('    • "change the background color to teal"  (a frontend action: useCopilotAction in the page)');
    say('    • "fetch the name for user id 42"        (a server-side action in app/api/copilotkit/route.ts)');
    say('    • anything else                          (a streamed text answer)');
  }
  say('  Ctrl-C stops the demo.');
  say('');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch(() => {});
    if (mock) await mock.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.child.on('exit', (code) => {
    if (stopping) return;
    say(`the Next.js server exited (${code}).`);
    if (mock) mock.close().catch(() => {});
    process.exit(code || 1);
  });
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
