import { CopilotChat } from "@copilotkit/react-ui";

export default function Home() {
  return (
    <main style={{ height: "100vh", padding: 24, boxSizing: "border-box" }}>
      <CopilotChat
        labels={{
          title: "Your Assistant",
          initial: "Hi! 👋 How can I assist you today?",
        }}
      />
    </main>
  );
}
