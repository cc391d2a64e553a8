"use client";

import { useState } from "react";
import { useCopilotAction } from "@copilotkit/react-core";
import { CopilotChat } from "@copilotkit/react-ui";

export default function Home() {
  const [backgroundColor, setBackgroundColor] = useState("#ffffff");

  // A frontend action: the model calls it, it runs here in the browser and changes the page.
  useCopilotAction({
    name: "changeBackgroundColor",
    description: "Changes the background color of the page.",
    parameters: [
      {
        name: "color",
        type: "string",
        description: "A CSS color name or hex value, e.g. teal or #008080.",
        required: true,
      },
    ],
    handler: async ({ color }) => {
      setBackgroundColor(color);
      return `The background is now ${color}.`;
    },
  });

  return (
    <main className="page" data-testid="page" data-background={backgroundColor} style={{ backgroundColor }}>
      <section className="intro">
        <h1>CopilotKit on copilot-runtime-rs</h1>
        <p>
          Ask to <em>change the background color to teal</em>, or to <em>fetch the name for user id 42</em>.
        </p>
        <p className="current">
          Background: <code data-testid="background">{backgroundColor}</code>
        </p>
      </section>
      <CopilotChat
        className="chat"
        labels={{
          title: "Your Assistant",
          initial: "Hi! 👋 How can I assist you today?",
        }}
      />
    </main>
  );
}
