// copilotRuntimeNestEndpoint inside a real NestJS 11 app (platform-express, Nest's default JSON
// body parser on), written as the docs do:
//
//   @Controller()
//   export class CopilotKitController {
//     @All('/copilotkit')
//     copilotkit(@Req() req, @Res() res) {
//       const runtime = new CopilotRuntime();
//       return copilotRuntimeNestEndpoint({ runtime, serviceAdapter, endpoint: '/copilotkit' })(req, res);
//     }
//   }
//
// Plain JS has no decorator syntax, so the same decorators are applied by hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkg, MockGemini, startBackend, connectClient, recordEvents, types, newId, rawRequest } from './support/agui-harness.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Controller, All, Req, Res, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ExpressAdapter } = require('@nestjs/platform-express');

let backend;
let app;
let url;
const handled = [];

before(async () => {
  backend = await startBackend();
  const serviceAdapter = backend.serviceAdapter;

  class CopilotKitController {
    copilotkit(req, res) {
      handled.push({ method: req.method, url: req.originalUrl, parsedBody: req.body });
      const runtime = new pkg.CopilotRuntime();
      const handler = pkg.copilotRuntimeNestEndpoint({ runtime, serviceAdapter, endpoint: '/copilotkit' });
      return handler(req, res);
    }
  }
  Controller()(CopilotKitController);
  Req()(CopilotKitController.prototype, 'copilotkit', 0);
  Res()(CopilotKitController.prototype, 'copilotkit', 1);
  All('/copilotkit')(CopilotKitController.prototype, 'copilotkit', Object.getOwnPropertyDescriptor(CopilotKitController.prototype, 'copilotkit'));

  class AppModule {}
  Module({ controllers: [CopilotKitController] })(AppModule);

  app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  url = `${await app.getUrl()}/copilotkit`.replace('[::1]', '127.0.0.1');
});

after(async () => {
  await app?.close();
  await backend?.mock.close();
});

test('NestJS: the real client detects the single route, gets info and a streamed run through @All("/copilotkit")', async () => {
  const { core, agent, errors } = await connectClient(url);
  assert.equal(core.runtimeTransport, 'single');
  assert.deepEqual(Object.keys(core.agents), ['default']);
  // Nest's body parser had already read the envelope: the handler rebuilt it from req.body.
  assert.deepEqual(handled.find((h) => h.method === 'POST').parsedBody, { method: 'info' });

  const deltas = ['Nest', ' says', ' hello', '.'];
  backend.mock.enqueue(MockGemini.text(deltas, { delayMs: 25 }));
  const events = recordEvents(agent);
  agent.addMessage({ id: newId(), role: 'user', content: 'hello nest' });
  await core.runAgent({ agent });
  const content = events.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT');
  assert.deepEqual(content.map((e) => e.delta), deltas, 'one event per delta');
  assert.ok(content.at(-1).observedAt - content[0].observedAt >= 40, 'streamed over time through Nest');
  assert.deepEqual(types(events), ['RUN_STARTED', 'TEXT_MESSAGE_START', ...deltas.map(() => 'TEXT_MESSAGE_CONTENT'), 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
  assert.equal(agent.messages.at(-1).content, deltas.join(''));
  assert.deepEqual(errors, []);
  const run = handled.filter((h) => h.method === 'POST').at(-1);
  assert.equal(run.parsedBody.method, 'agent/run');
});

test('NestJS: protocol errors keep their exact shape behind Nest', async () => {
  const res = await rawRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'agent/explode' }) });
  assert.equal(res.status, 400);
  assert.equal(res.body, JSON.stringify({ error: 'invalid_request', message: "Unsupported method 'agent/explode'" }));
  assert.equal(res.headers['access-control-allow-origin'], '*');
  const get = await rawRequest(url, { method: 'GET' });
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
});
