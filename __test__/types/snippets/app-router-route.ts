// app/api/copilotkit/route.ts — CopilotKit docs (v1.10.6), "Self Hosting" → Next.js App Router,
// with the Google Generative AI (Gemini) provider selected.
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNextJSAppRouterEndpoint,
} from '@copilotkit/runtime';

import { NextRequest } from 'next/server';


const serviceAdapter = new GoogleGenerativeAIAdapter({ model: 'gemini-2.0-flash' });
const runtime = new CopilotRuntime();

export const POST = async (req: NextRequest) => {
  const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({
    runtime,
    serviceAdapter,
    endpoint: '/api/copilotkit',
  });

  return handleRequest(req);
};

// The route-handler contract Next.js checks at build time: (request) => Response | Promise<Response>.
const routeHandler: (req: NextRequest) => Promise<Response> = POST;
void routeHandler;
