// A CommonJS app (module: nodenext) importing and requiring the installed package by name.
import { CopilotRuntime, EmptyAdapter, copilotRuntimeNodeHttpEndpoint } from "@copilotkit/runtime";
const rt = require("@copilotkit/runtime") as typeof import("@copilotkit/runtime");
copilotRuntimeNodeHttpEndpoint({ runtime: new CopilotRuntime(), serviceAdapter: new EmptyAdapter(), endpoint: "/copilotkit" });
rt.copilotKitEndpoint({ url: "x" });
