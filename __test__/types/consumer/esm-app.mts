// An ES module app (module: nodenext) importing the installed package by name.
import { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNodeHttpEndpoint } from "@copilotkit/runtime";
import { createServer } from "node:http";
const h = copilotRuntimeNodeHttpEndpoint({ runtime: new CopilotRuntime(), serviceAdapter: new GoogleGenerativeAIAdapter(), endpoint: "/copilotkit" });
createServer(h);
