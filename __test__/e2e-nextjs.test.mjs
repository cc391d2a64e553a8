// End to end in a real browser: the Next.js App Router example (`next build` + `next start`) served
// by this package under the name `@copilotkit/runtime`, opened in headless Debian Chromium (driven
// by playwright-core), with the real `@copilotkit/react-core` / `react-ui` of both client
// generations: 1.74 (AG-UI) in examples/nextjs-app-router and 1.10.6 (GraphQL) in
// examples/nextjs-app-router-1.10 — the same app code, two dependency sets. Gemini is the scripted
// mock (`GOOGLE_GEMINI_BASE_URL`). A screenshot of every step is saved under
// __test__/artifacts/e2e/.
//
// Needs /usr/bin/chromium (`apt-get install -y chromium`); without it these tests are skipped,
// except under CI, where they fail. The examples are installed and built on first use.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const require = createRequire(import.meta.url);
const ex = require('./support/e2e-examples.js');
const { MockGemini } = require('./support/mock-gemini.js');

const SHOTS = path.join(ex.ARTIFACTS_DIR, 'e2e');
const inCI = !!process.env.CI;
const noBrowser = !ex.chromiumAvailable();
if (noBrowser && inCI) throw new Error(`CI needs Chromium at ${ex.CHROMIUM} for the e2e tests (apt-get install -y chromium)`);
const skip = noBrowser ? `no Chromium at ${ex.CHROMIUM} (apt-get install -y chromium); e2e tests skipped` : false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const norm = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();

const VARIANTS = [
  { example: 'nextjs-app-router', client: 'react-core 1.74 (AG-UI)' },
  { example: 'nextjs-app-router-1.10', client: 'react-core 1.10.6 (GraphQL)' },
];

/** Every Gemini request whose last user turn says `text`. */
function requestsFor(mock, text) {
  return mock.requests.filter((r) => JSON.stringify(r.body?.contents ?? []).includes(text));
}

async function waitUntil(fn, { timeoutMs = 20000, what }) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

for (const { example, client } of VARIANTS) {
  describe(`e2e in Chromium: examples/${example} with ${client}`, { skip, timeout: 20 * 60_000 }, () => {
    let mock;
    let server;
    let browser;
    let page;
    let step = 0;

    const shot = async (label) => {
      step += 1;
      fs.mkdirSync(SHOTS, { recursive: true });
      const file = path.join(SHOTS, `${example}-${step}-${label}.png`);
      await page.screenshot({ path: file });
      process.stderr.write(`[e2e] screenshot ${path.relative(ex.ROOT, file)}\n`);
    };

    const assistantTexts = () => page.locator('.copilotKitAssistantMessage').allInnerTexts();
    const lastAssistant = async () => norm((await assistantTexts()).at(-1));

    async function send(text) {
      const input = page.locator('.copilotKitInput textarea');
      await input.waitFor({ state: 'visible', timeout: 30000 });
      // Typed before the page has hydrated, a message is lost without trace: then type it again.
      for (let attempt = 1; ; attempt++) {
        await input.fill(text);
        await input.press('Enter');
        try {
          await page.locator('.copilotKitUserMessage', { hasText: text }).waitFor({ timeout: 3000 });
          return;
        } catch (err) {
          if (attempt === 5) throw err;
        }
      }
    }

    /** Wait until the chat is idle again (the send button is not a stop button). */
    async function idle() {
      await page.locator('.copilotKitInputControlButton[data-copilotkit-in-progress="false"]').first().waitFor({ timeout: 30000 });
    }

    before(async () => {
      ex.prepare([example]);
      mock = await MockGemini.start();
      server = await ex.startExample(example, {
        env: { GOOGLE_API_KEY: 'e2e-test-key', GOOGLE_GEMINI_BASE_URL: mock.url, COPILOT_RUNTIME_LOG: 'warn' },
      });
      browser = await ex.launchChromium();
      page = browser.pages()[0] ?? (await browser.newPage());
      page.on('pageerror', (e) => process.stderr.write(`[e2e] ${example}: uncaught error in the page: ${e}\n`));
      await page.goto(server.url, { waitUntil: 'load' });
      await page.locator('.copilotKitInput textarea').waitFor({ state: 'visible', timeout: 60000 });
      await shot('loaded');
    });

    after(async () => {
      if (browser) await browser.close().catch(() => {});
      if (server) await server.stop();
      if (mock) await mock.close();
    });

    test('a typed message gets a streamed answer that renders progressively', async () => {
      const deltas = ['Streaming ', 'works: ', 'this ', 'answer ', 'arrives ', 'in ', 'small ', 'pieces ', 'from ', 'the ', 'mock ', 'model.'];
      const full = norm(deltas.join(''));
      mock.enqueue(MockGemini.text(deltas, { delayMs: 250 }));
      const before = (await assistantTexts()).length;
      await send('Tell me something, slowly');
      const seen = [];
      let partialAt = null;
      await waitUntil(
        async () => {
          const texts = await assistantTexts();
          if (texts.length <= before) return false;
          const t = norm(texts.at(-1));
          if (t && seen.at(-1) !== t) {
            seen.push(t);
            if (t !== full && partialAt === null) partialAt = performance.now();
          }
          return t === full;
        },
        { what: `the answer "${full}"` },
      );
      await idle();
      await shot('streamed-text');
      const partials = seen.filter((t) => t !== full);
      assert.ok(partials.length >= 3, `expected the answer to grow on screen in steps, saw: ${JSON.stringify(seen)}`);
      for (const p of partials) assert.ok(full.startsWith(p), `a partial render is a prefix of the answer: ${JSON.stringify(p)}`);
      const [rec] = requestsFor(mock, 'Tell me something, slowly');
      assert.ok(rec, 'the model was asked');
      assert.ok(partialAt < rec.writes.at(-1), 'text was on screen before the model had finished writing');
    });

    test('a frontend action (useCopilotAction) runs in the page and changes it', async () => {
      mock.enqueue(MockGemini.functionCalls([{ name: 'changeBackgroundColor', args: { color: 'teal' } }]));
      mock.enqueue(MockGemini.text(['The page ', 'is teal now.'], { delayMs: 50 }));
      await send('Please make the background teal');
      await page.locator('[data-testid="background"]', { hasText: 'teal' }).waitFor({ timeout: 30000 });
      const pageBackground = () => page.locator('[data-testid="page"]').evaluate((el) => getComputedStyle(el).backgroundColor);
      // (the page fades to its new colour)
      await waitUntil(async () => (await pageBackground()) === 'rgb(0, 128, 128)', { timeoutMs: 5000, what: 'the page to turn teal' }).catch(() => {});
      const bg = await pageBackground();
      await waitUntil(async () => (await lastAssistant()).includes('The page is teal now.'), { what: 'the follow-up answer' });
      await idle();
      await shot('frontend-action');
      assert.equal(bg, 'rgb(0, 128, 128)');
      const [first, followUp] = requestsFor(mock, 'Please make the background teal');
      const tools = (first.body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => d.name);
      assert.ok(tools.includes('changeBackgroundColor'), `the frontend action is offered to the model: ${tools}`);
      assert.ok(followUp, 'the client sent the action result back to the model');
      assert.match(JSON.stringify(followUp.body.contents), /The background is now teal\./);
    });

    test("a server-side action runs on the server and the answer uses its result", async () => {
      // The first model turn is scripted; the follow-up is the demo model, which quotes the tool result it was sent.
      mock.enqueue(MockGemini.functionCalls([{ name: 'fetchNameForUserId', args: { userId: '42' } }]));
      await send('Who is user 42?');
      await waitUntil(async () => (await lastAssistant()).includes('Darth Doe'), { timeoutMs: 30000, what: 'an answer naming Darth Doe' });
      await idle();
      await shot('server-action');
      const recs = requestsFor(mock, 'Who is user 42?');
      const tools = (recs[0].body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => d.name);
      assert.ok(tools.includes('fetchNameForUserId'), `the server action is offered to the model: ${tools}`);
      const withResult = recs.find((r) => (r.body.contents ?? []).some((c) => (c.parts ?? []).some((p) => p.functionResponse?.name === 'fetchNameForUserId')));
      assert.ok(withResult, 'the model was sent the action result');
      assert.match(JSON.stringify(withResult.body.contents), /Darth Doe/);
      assert.match(await lastAssistant(), /fetchNameForUserId returned .*Darth Doe/);
    });

    test('Stop mid-answer stops the rendering and closes the upstream model connection', async () => {
      const deltas = Array.from({ length: 60 }, (_, i) => `word${i} `);
      mock.enqueue(MockGemini.text(deltas, { delayMs: 200 }));
      const before = (await assistantTexts()).length;
      await send('Talk for a long time');
      await waitUntil(async () => (await assistantTexts()).length > before && (await lastAssistant()).includes('word3'), { what: 'the answer to start' });
      const rec = requestsFor(mock, 'Talk for a long time')[0];
      await page.locator('.copilotKitInputControlButton[data-copilotkit-in-progress="true"]').first().click();
      const closedAt = await mock.waitForClientClose(rec, 10000);
      assert.ok(closedAt < rec.receivedAt + 200 * 60, 'the upstream connection closed before the answer would have ended');
      await idle();
      const stoppedText = await lastAssistant();
      await sleep(1500);
      await shot('stopped');
      assert.equal(await lastAssistant(), stoppedText, 'nothing more rendered after Stop');
      assert.ok(!stoppedText.includes('word59'), 'the answer was cut short');
      assert.ok(rec.writes.length < deltas.length, `the mock wrote ${rec.writes.length} of ${deltas.length} events`);
    });
  });
}
