// Smoke test of every other example under examples/: start it as its README says (Next.js Pages
// Router under `next start`, the App Router example under `next dev`, Express 4 and 5 with and
// without `express.json()` before the handler, plain Node HTTP, NestJS), then drive one chat turn
// with each real client from Node — `@copilotkit/core` 1.74 (AG-UI) and
// `@copilotkit/runtime-client-gql` 1.10.6 (GraphQL) — against the scripted mock Gemini.
// The examples are installed and built on first use.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { aguiChatTurn, gqlChatTurn } from './support/e2e-client.mjs';

const require = createRequire(import.meta.url);
const ex = require('./support/e2e-examples.js');
const { MockGemini } = require('./support/mock-gemini.js');

const CASES = [
  { example: 'node-http', path: '/copilotkit' },
  { example: 'express-4', path: '/copilotkit', label: 'Express 4, docs snippet (no body parser)' },
  { example: 'express-4', path: '/copilotkit', main: 'server-json.mjs', label: 'Express 4, express.json() before the handler' },
  { example: 'express-5', path: '/copilotkit', label: 'Express 5, docs snippet (no body parser)' },
  { example: 'express-5', path: '/copilotkit', main: 'server-json.mjs', label: 'Express 5, express.json() before the handler' },
  { example: 'nestjs', path: '/copilotkit' },
  { example: 'nextjs-pages-router', path: '/api/copilotkit', label: 'Next.js Pages Router, next start' },
  { example: 'nextjs-app-router', path: '/api/copilotkit', mode: 'dev', readyPath: '/api/copilotkit/info', label: 'Next.js App Router, next dev' },
];

let mock;
before(async () => {
  mock = await MockGemini.start({ demo: false });
});
after(async () => {
  await mock.close();
});

for (const c of CASES) {
  describe(`examples/${c.example}: ${c.label ?? 'docs snippet'}`, { timeout: 15 * 60_000 }, () => {
    let server;
    let url;
    before(async () => {
      ex.prepare([c.example]);
      server = await ex.startExample(c.example, {
        mode: c.mode,
        main: c.main,
        readyPath: c.readyPath,
        readyTimeoutMs: 180_000,
        env: { GOOGLE_API_KEY: 'smoke-test-key', GOOGLE_GEMINI_BASE_URL: mock.url },
      });
      url = server.url + c.path;
    });
    after(async () => {
      if (server) await server.stop();
    });

    test('a chat turn with the real AG-UI client (@copilotkit/core 1.74)', { timeout: 180_000 }, async () => {
      const word = `agui-${c.example}-${c.main ?? c.mode ?? 'default'}`;
      mock.queue.length = 0;
      mock.enqueue(MockGemini.text(['Hello ', 'from ', word]));
      const { answer, errors } = await aguiChatTurn(url, `say hello (${word})`);
      assert.deepEqual(errors, [], `client errors:\n${server.output()}`);
      assert.equal(answer, `Hello from ${word}`);
      const rec = mock.requests.at(-1);
      assert.match(JSON.stringify(rec.body.contents), new RegExp(`say hello \\(${word}\\)`));
    });

    test('a chat turn with the real GraphQL client (@copilotkit/runtime-client-gql 1.10.6)', { timeout: 180_000 }, async () => {
      const word = `gql-${c.example}-${c.main ?? c.mode ?? 'default'}`;
      mock.queue.length = 0;
      mock.enqueue(MockGemini.text(['Hello ', 'from ', word]));
      const { answer, errors, status } = await gqlChatTurn(url, `say hello (${word})`);
      assert.deepEqual(errors, [], `client errors:\n${server.output()}`);
      assert.equal(status?.code, 'Success');
      assert.equal(answer, `Hello from ${word}`);
    });
  });
}
