//! The run pipeline between an agent's raw events and the wire (spec §8.1–§8.3, §9.3):
//! `RUN_STARTED` (with `input`) first, `*_CHUNK` expansion, the sequencing verifier, and the
//! closers + terminal event when the agent stops early, fails, breaks the rules or is stopped.

use serde_json::json;

use super::events::{
    AguiEvent, Extra, MessageDelta, MessageRef, ReasoningMessageStart, RunError, Step, TextMessageStart, ToolCallArgs,
    ToolCallResult, ToolCallStart,
};

/// Code of the `RUN_ERROR` the pipeline synthesises.
pub const INCOMPLETE_STREAM: &str = "INCOMPLETE_STREAM";
const STOP_MESSAGE: &str = "Run stopped by user";
const ABRUPT_END_MESSAGE: &str = "Run ended without emitting a terminal event";

/// How a run ended without a terminal event of its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// Stop request or client disconnect: closers + `RUN_FINISHED{threadId, runId}`.
    Stopped,
    /// The agent's stream ended without `RUN_FINISHED`/`RUN_ERROR`.
    Ended,
    /// The agent failed or broke the protocol: closers + `RUN_ERROR{message, INCOMPLETE_STREAM}`.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
enum ChunkMode {
    Text(String),
    Tool(String),
    Reasoning(String),
}

#[derive(Debug, Clone)]
struct ToolState {
    id: String,
    ended: bool,
    has_result: bool,
}

/// Per-run state machine. Feed it the agent's events with [`RunPipeline::push`]; when the agent
/// stream ends or the run is cancelled call [`RunPipeline::finish`]. Both append the wire events
/// to `out`.
pub struct RunPipeline {
    thread_id: String,
    run_id: String,
    /// `input` to put on a `RUN_STARTED` that has none (`None` for suggestions).
    input: Option<serde_json::Value>,
    started: bool,
    done: bool,
    chunk: Option<ChunkMode>,
    open_messages: Vec<String>,
    open_reasoning: Vec<String>,
    tool_calls: Vec<ToolState>,
    open_steps: Vec<String>,
    /// Message of the first `RUN_ERROR` that went out.
    error: Option<String>,
}

impl RunPipeline {
    pub fn new(thread_id: impl Into<String>, run_id: impl Into<String>, input: Option<serde_json::Value>) -> Self {
        RunPipeline {
            thread_id: thread_id.into(),
            run_id: run_id.into(),
            input,
            started: false,
            done: false,
            chunk: None,
            open_messages: Vec::new(),
            open_reasoning: Vec::new(),
            tool_calls: Vec::new(),
            open_steps: Vec::new(),
            error: None,
        }
    }

    /// A terminal event has gone out; nothing more will be emitted.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The message of the `RUN_ERROR` that ended the run, if it ended with one.
    pub fn error_message(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The `RUN_STARTED` the pipeline emits when the agent does not start with its own.
    pub fn synthetic_start(&self) -> AguiEvent {
        let mut ev = AguiEvent::run_started(self.thread_id.clone(), self.run_id.clone());
        if let AguiEvent::RunStarted(rs) = &mut ev {
            rs.input = self.input.clone();
        }
        ev
    }

    /// Process one agent event. Returns `true` once the run is over (terminal emitted).
    pub fn push(&mut self, ev: AguiEvent, out: &mut Vec<AguiEvent>) -> bool {
        if self.done {
            return true;
        }
        if let AguiEvent::Fault(message) = ev {
            self.finish(Ending::Failed(message), out);
            return true;
        }
        if !self.started {
            self.started = true;
            if let AguiEvent::RunStarted(mut rs) = ev {
                if rs.input.is_none() {
                    rs.input = self.input.clone();
                }
                self.thread_id = rs.thread_id.clone();
                self.run_id = rs.run_id.clone();
                out.push(AguiEvent::RunStarted(rs));
                return false;
            }
            out.push(self.synthetic_start());
        }
        let expanded = match self.expand(ev) {
            Ok(evs) => evs,
            Err(message) => {
                self.finish(Ending::Failed(message), out);
                return true;
            }
        };
        for e in expanded {
            if let Err(message) = self.verify(&e) {
                self.finish(Ending::Failed(message), out);
                return true;
            }
            let terminal = e.is_terminal();
            if let AguiEvent::RunError(re) = &e {
                self.error = Some(re.message.clone());
            }
            out.push(e);
            if terminal {
                self.done = true;
                return true;
            }
        }
        false
    }

    /// End the run: closers for everything still open, then the terminal event for `ending`.
    /// No-op when a terminal event already went out.
    pub fn finish(&mut self, ending: Ending, out: &mut Vec<AguiEvent>) {
        if self.done {
            return;
        }
        if !self.started {
            self.started = true;
            out.push(self.synthetic_start());
        }
        self.chunk = None;
        let stopped = ending == Ending::Stopped;
        let message = match &ending {
            Ending::Stopped => STOP_MESSAGE.to_string(),
            Ending::Ended => ABRUPT_END_MESSAGE.to_string(),
            Ending::Failed(m) => m.clone(),
        };
        for id in std::mem::take(&mut self.open_messages) {
            out.push(AguiEvent::text_end(id));
        }
        for id in std::mem::take(&mut self.open_reasoning) {
            out.push(AguiEvent::ReasoningMessageEnd(MessageRef { message_id: id, extra: Extra::new() }));
        }
        for tc in std::mem::take(&mut self.tool_calls) {
            if !tc.ended {
                out.push(AguiEvent::tool_end(tc.id.clone()));
            }
            if !tc.has_result {
                let content = if stopped {
                    json!({"status":"stopped","reason":"stop_requested","message":message})
                } else {
                    json!({"status":"error","reason":"missing_terminal_event","message":message})
                };
                out.push(AguiEvent::ToolCallResult(ToolCallResult {
                    message_id: format!("{}-result", tc.id),
                    tool_call_id: tc.id,
                    content: content.to_string(),
                    role: Some("tool".into()),
                    extra: Extra::new(),
                }));
            }
        }
        if stopped {
            // RUN_FINISHED is rejected by the client while steps are open.
            for name in std::mem::take(&mut self.open_steps).into_iter().rev() {
                out.push(AguiEvent::StepFinished(Step { step_name: name, extra: Extra::new() }));
            }
            out.push(AguiEvent::run_finished(self.thread_id.clone(), self.run_id.clone()));
        } else {
            self.error = Some(message.clone());
            out.push(AguiEvent::RunError(RunError {
                message,
                code: Some(INCOMPLETE_STREAM.into()),
                ..Default::default()
            }));
        }
        self.done = true;
    }

    // --------------------------------------------------------------------------------------------
    // *_CHUNK expansion (AG-UI `transformChunks`)
    // --------------------------------------------------------------------------------------------

    fn close_chunk(&mut self, out: &mut Vec<AguiEvent>) {
        match self.chunk.take() {
            Some(ChunkMode::Text(id)) => out.push(AguiEvent::text_end(id)),
            Some(ChunkMode::Tool(id)) => out.push(AguiEvent::tool_end(id)),
            Some(ChunkMode::Reasoning(id)) => {
                out.push(AguiEvent::ReasoningMessageEnd(MessageRef { message_id: id, extra: Extra::new() }))
            }
            None => {}
        }
    }

    fn expand(&mut self, ev: AguiEvent) -> Result<Vec<AguiEvent>, String> {
        let mut out = Vec::new();
        let chunk_metadata = |extra: &Extra| -> Extra {
            let mut x = Extra::new();
            if let Some(md) = extra.get("metadata") {
                x.insert("metadata".into(), md.clone());
            }
            x
        };
        match ev {
            AguiEvent::TextMessageChunk(c) => {
                let current = match &self.chunk {
                    Some(ChunkMode::Text(id)) => Some(id.clone()),
                    _ => None,
                };
                if current.is_none() || c.message_id.as_ref().is_some_and(|id| Some(id) != current.as_ref()) {
                    self.close_chunk(&mut out);
                }
                let id = match &self.chunk {
                    Some(ChunkMode::Text(id)) => id.clone(),
                    _ => {
                        let id = c.message_id.clone().ok_or("First TEXT_MESSAGE_CHUNK must have a messageId")?;
                        out.push(AguiEvent::TextMessageStart(TextMessageStart {
                            message_id: id.clone(),
                            role: c.role.clone().unwrap_or_else(|| "assistant".into()),
                            name: c.name.clone(),
                            extra: chunk_metadata(&c.extra),
                        }));
                        self.chunk = Some(ChunkMode::Text(id.clone()));
                        id
                    }
                };
                if let Some(delta) = c.delta {
                    out.push(AguiEvent::TextMessageContent(MessageDelta {
                        message_id: id,
                        delta,
                        extra: chunk_metadata(&c.extra),
                    }));
                }
            }
            AguiEvent::ToolCallChunk(c) => {
                let current = match &self.chunk {
                    Some(ChunkMode::Tool(id)) => Some(id.clone()),
                    _ => None,
                };
                if current.is_none() || c.tool_call_id.as_ref().is_some_and(|id| Some(id) != current.as_ref()) {
                    self.close_chunk(&mut out);
                }
                let id = match &self.chunk {
                    Some(ChunkMode::Tool(id)) => id.clone(),
                    _ => {
                        let id = c.tool_call_id.clone().ok_or("First TOOL_CALL_CHUNK must have a toolCallId")?;
                        let name = c.tool_call_name.clone().ok_or("First TOOL_CALL_CHUNK must have a toolCallName")?;
                        out.push(AguiEvent::ToolCallStart(ToolCallStart {
                            parent_message_id: c.parent_message_id.clone(),
                            tool_call_id: id.clone(),
                            tool_call_name: name,
                            extra: chunk_metadata(&c.extra),
                        }));
                        self.chunk = Some(ChunkMode::Tool(id.clone()));
                        id
                    }
                };
                if let Some(delta) = c.delta {
                    out.push(AguiEvent::ToolCallArgs(ToolCallArgs {
                        tool_call_id: id,
                        delta,
                        extra: chunk_metadata(&c.extra),
                    }));
                }
            }
            AguiEvent::ReasoningMessageChunk(c) => {
                let current = match &self.chunk {
                    Some(ChunkMode::Reasoning(id)) => Some(id.clone()),
                    _ => None,
                };
                if current.is_none()
                    || c.message_id.as_ref().is_some_and(|id| !id.is_empty() && Some(id) != current.as_ref())
                {
                    self.close_chunk(&mut out);
                }
                let id = match &self.chunk {
                    Some(ChunkMode::Reasoning(id)) => id.clone(),
                    _ => {
                        let id = c.message_id.clone().ok_or("First REASONING_MESSAGE_CHUNK must have a messageId")?;
                        out.push(AguiEvent::ReasoningMessageStart(ReasoningMessageStart {
                            message_id: id.clone(),
                            role: "reasoning".into(),
                            extra: chunk_metadata(&c.extra),
                        }));
                        self.chunk = Some(ChunkMode::Reasoning(id.clone()));
                        id
                    }
                };
                if let Some(delta) = c.delta {
                    out.push(AguiEvent::ReasoningMessageContent(MessageDelta {
                        message_id: id,
                        delta,
                        extra: chunk_metadata(&c.extra),
                    }));
                }
            }
            // Events that do not interrupt a chunked message.
            AguiEvent::Raw(_)
            | AguiEvent::ActivitySnapshot(_)
            | AguiEvent::ActivityDelta(_)
            | AguiEvent::ReasoningEncryptedValue(_) => out.push(ev),
            other => {
                // An explicit CONTENT/END for the message a chunk opened continues/closes it
                // instead of tripping over a synthetic END.
                let continues = match (&self.chunk, &other) {
                    (Some(ChunkMode::Text(id)), AguiEvent::TextMessageContent(e)) => *id == e.message_id,
                    (Some(ChunkMode::Tool(id)), AguiEvent::ToolCallArgs(e)) => *id == e.tool_call_id,
                    (Some(ChunkMode::Reasoning(id)), AguiEvent::ReasoningMessageContent(e)) => *id == e.message_id,
                    _ => false,
                };
                let closes = match (&self.chunk, &other) {
                    (Some(ChunkMode::Text(id)), AguiEvent::TextMessageEnd(e)) => *id == e.message_id,
                    (Some(ChunkMode::Tool(id)), AguiEvent::ToolCallEnd(e)) => *id == e.tool_call_id,
                    (Some(ChunkMode::Reasoning(id)), AguiEvent::ReasoningMessageEnd(e)) => *id == e.message_id,
                    _ => false,
                };
                if closes {
                    self.chunk = None;
                } else if !continues {
                    self.close_chunk(&mut out);
                }
                out.push(other);
            }
        }
        Ok(out)
    }

    // --------------------------------------------------------------------------------------------
    // Verifier (AG-UI `verifyEvents`, messages kept verbatim)
    // --------------------------------------------------------------------------------------------

    fn verify(&mut self, ev: &AguiEvent) -> Result<(), String> {
        match ev {
            AguiEvent::RunStarted(_) => Err("Cannot send 'RUN_STARTED' while a run is still active. The previous run must be finished with 'RUN_FINISHED' before starting a new run.".into()),
            AguiEvent::TextMessageStart(e) => {
                if self.open_messages.contains(&e.message_id) {
                    return Err(format!("Cannot send 'TEXT_MESSAGE_START' event: A text message with ID '{}' is already in progress. Complete it with 'TEXT_MESSAGE_END' first.", e.message_id));
                }
                self.open_messages.push(e.message_id.clone());
                Ok(())
            }
            AguiEvent::TextMessageContent(e) => {
                if !self.open_messages.contains(&e.message_id) {
                    return Err(format!("Cannot send 'TEXT_MESSAGE_CONTENT' event: No active text message found with ID '{}'. Start a text message with 'TEXT_MESSAGE_START' first.", e.message_id));
                }
                Ok(())
            }
            AguiEvent::TextMessageEnd(e) => {
                match self.open_messages.iter().position(|m| *m == e.message_id) {
                    Some(i) => {
                        self.open_messages.remove(i);
                        Ok(())
                    }
                    None => Err(format!("Cannot send 'TEXT_MESSAGE_END' event: No active text message found with ID '{}'. A 'TEXT_MESSAGE_START' event must be sent first.", e.message_id)),
                }
            }
            AguiEvent::ToolCallStart(e) => {
                if self.tool_calls.iter().any(|t| t.id == e.tool_call_id && !t.ended) {
                    return Err(format!("Cannot send 'TOOL_CALL_START' event: A tool call with ID '{}' is already in progress. Complete it with 'TOOL_CALL_END' first.", e.tool_call_id));
                }
                self.tool_calls.retain(|t| t.id != e.tool_call_id);
                self.tool_calls.push(ToolState { id: e.tool_call_id.clone(), ended: false, has_result: false });
                Ok(())
            }
            AguiEvent::ToolCallArgs(e) => {
                if !self.tool_calls.iter().any(|t| t.id == e.tool_call_id && !t.ended) {
                    return Err(format!("Cannot send 'TOOL_CALL_ARGS' event: No active tool call found with ID '{}'. Start a tool call with 'TOOL_CALL_START' first.", e.tool_call_id));
                }
                Ok(())
            }
            AguiEvent::ToolCallEnd(e) => match self.tool_calls.iter_mut().find(|t| t.id == e.tool_call_id && !t.ended) {
                Some(t) => {
                    t.ended = true;
                    Ok(())
                }
                None => Err(format!("Cannot send 'TOOL_CALL_END' event: No active tool call found with ID '{}'. A 'TOOL_CALL_START' event must be sent first.", e.tool_call_id)),
            },
            AguiEvent::ToolCallResult(e) => {
                if let Some(t) = self.tool_calls.iter_mut().find(|t| t.id == e.tool_call_id) {
                    t.has_result = true;
                }
                Ok(())
            }
            AguiEvent::StepStarted(e) => {
                if self.open_steps.contains(&e.step_name) {
                    return Err(format!("Step \"{}\" is already active for 'STEP_STARTED'", e.step_name));
                }
                self.open_steps.push(e.step_name.clone());
                Ok(())
            }
            AguiEvent::StepFinished(e) => match self.open_steps.iter().position(|s| *s == e.step_name) {
                Some(i) => {
                    self.open_steps.remove(i);
                    Ok(())
                }
                None => Err(format!("Cannot send 'STEP_FINISHED' for step \"{}\" that was not started", e.step_name)),
            },
            AguiEvent::ReasoningMessageStart(e) => {
                if !self.open_reasoning.contains(&e.message_id) {
                    self.open_reasoning.push(e.message_id.clone());
                }
                Ok(())
            }
            AguiEvent::ReasoningMessageEnd(e) => {
                self.open_reasoning.retain(|m| *m != e.message_id);
                Ok(())
            }
            AguiEvent::RunFinished(_) => {
                if !self.open_steps.is_empty() {
                    return Err(format!("Cannot send 'RUN_FINISHED' while steps are still active: {}", self.open_steps.join(", ")));
                }
                if !self.open_messages.is_empty() {
                    return Err(format!(
                        "Cannot send 'RUN_FINISHED' while text messages are still active: {}",
                        self.open_messages.join(", ")
                    ));
                }
                let open_tools: Vec<&str> = self.tool_calls.iter().filter(|t| !t.ended).map(|t| t.id.as_str()).collect();
                if !open_tools.is_empty() {
                    return Err(format!("Cannot send 'RUN_FINISHED' while tool calls are still active: {}", open_tools.join(", ")));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ev(v: Value) -> AguiEvent {
        AguiEvent::from_value(v).unwrap()
    }

    fn run(events: Vec<Value>, ending: Ending) -> Vec<Value> {
        let mut p = RunPipeline::new("T", "R", Some(json!({"threadId":"T"})));
        let mut out = Vec::new();
        for e in events {
            if p.push(ev(e), &mut out) {
                break;
            }
        }
        p.finish(ending, &mut out);
        out.iter().map(AguiEvent::to_value).collect()
    }

    #[test]
    fn adds_run_started_with_input_and_passes_terminal() {
        let out = run(
            vec![
                json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}),
                json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"hi"}),
                json!({"type":"TEXT_MESSAGE_END","messageId":"m"}),
                json!({"type":"RUN_FINISHED","threadId":"T","runId":"R"}),
                json!({"type":"CUSTOM","name":"late","value":1}),
            ],
            Ending::Ended,
        );
        assert_eq!(out[0], json!({"type":"RUN_STARTED","threadId":"T","runId":"R","input":{"threadId":"T"}}));
        assert_eq!(out.len(), 5);
        assert_eq!(out[4]["type"], "RUN_FINISHED");
    }

    #[test]
    fn agent_run_started_gets_input_only_when_missing() {
        let out = run(vec![json!({"type":"RUN_STARTED","threadId":"T","runId":"R"})], Ending::Ended);
        assert_eq!(out[0]["input"], json!({"threadId":"T"}));
        let out = run(vec![json!({"type":"RUN_STARTED","threadId":"T","runId":"R","input":{"x":1}})], Ending::Ended);
        assert_eq!(out[0]["input"], json!({"x":1}));
    }

    #[test]
    fn chunks_expand_like_the_reference() {
        let out = run(
            vec![
                json!({"type":"RUN_STARTED","threadId":"T","runId":"R"}),
                json!({"type":"TEXT_MESSAGE_CHUNK","messageId":"m1","delta":"Hi"}),
                json!({"type":"TEXT_MESSAGE_CHUNK","delta":" there"}),
                json!({"type":"RAW","event":{}}),
                json!({"type":"TOOL_CALL_CHUNK","toolCallId":"tc","toolCallName":"lookup","parentMessageId":"m1","delta":"{\"q\":"}),
                json!({"type":"TOOL_CALL_CHUNK","delta":"\"x\"}"}),
                json!({"type":"TOOL_CALL_CHUNK","toolCallId":"tc2","toolCallName":"other"}),
                json!({"type":"REASONING_MESSAGE_CHUNK","messageId":"r","delta":"hmm"}),
                json!({"type":"RUN_FINISHED","threadId":"T","runId":"R"}),
            ],
            Ending::Ended,
        );
        let types: Vec<&str> = out.iter().map(|v| v["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            vec![
                "RUN_STARTED",
                "TEXT_MESSAGE_START",
                "TEXT_MESSAGE_CONTENT",
                "TEXT_MESSAGE_CONTENT",
                "RAW",
                "TEXT_MESSAGE_END",
                "TOOL_CALL_START",
                "TOOL_CALL_ARGS",
                "TOOL_CALL_ARGS",
                "TOOL_CALL_END",
                "TOOL_CALL_START",
                "TOOL_CALL_END",
                "REASONING_MESSAGE_START",
                "REASONING_MESSAGE_CONTENT",
                "REASONING_MESSAGE_END",
                "RUN_FINISHED"
            ]
        );
        assert_eq!(out[1], json!({"type":"TEXT_MESSAGE_START","messageId":"m1","role":"assistant"}));
        assert_eq!(out[3], json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":" there"}));
        assert_eq!(
            out[6],
            json!({"type":"TOOL_CALL_START","parentMessageId":"m1","toolCallId":"tc","toolCallName":"lookup"})
        );
        assert_eq!(out[12], json!({"type":"REASONING_MESSAGE_START","messageId":"r","role":"reasoning"}));
    }

    #[test]
    fn chunk_without_id_is_incomplete_stream() {
        let out = run(vec![json!({"type":"TEXT_MESSAGE_CHUNK","delta":"x"})], Ending::Ended);
        assert_eq!(
            out.last().unwrap(),
            &json!({"type":"RUN_ERROR","message":"First TEXT_MESSAGE_CHUNK must have a messageId","code":"INCOMPLETE_STREAM"})
        );
    }

    #[test]
    fn sequencing_violation_gives_incomplete_stream_with_closers() {
        // q-custom-agents "broken"
        let out = run(vec![json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"never-started","delta":"x"})], Ending::Ended);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1],
            json!({"type":"RUN_ERROR","message":"Cannot send 'TEXT_MESSAGE_CONTENT' event: No active text message found with ID 'never-started'. Start a text message with 'TEXT_MESSAGE_START' first.","code":"INCOMPLETE_STREAM"})
        );
        // RUN_FINISHED while a message is open
        let out = run(
            vec![
                json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}),
                json!({"type":"RUN_FINISHED","threadId":"T","runId":"R"}),
            ],
            Ending::Ended,
        );
        assert_eq!(out[2], json!({"type":"TEXT_MESSAGE_END","messageId":"m"}));
        assert_eq!(out[3]["message"], "Cannot send 'RUN_FINISHED' while text messages are still active: m");
        // duplicate start, second RUN_STARTED, unknown step
        for bad in [
            vec![json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"f"}), json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"f"})],
            vec![json!({"type":"RUN_STARTED","threadId":"T","runId":"R"}), json!({"type":"RUN_STARTED","threadId":"T","runId":"R"})],
            vec![json!({"type":"STEP_FINISHED","stepName":"x"})],
        ] {
            let out = run(bad, Ending::Ended);
            assert_eq!(out.last().unwrap()["code"], "INCOMPLETE_STREAM");
        }
    }

    #[test]
    fn fault_mid_message_closes_then_errors() {
        // q-custom-agents "throws"
        let mut p = RunPipeline::new("T", "R", None);
        let mut out = Vec::new();
        p.push(ev(json!({"type":"TEXT_MESSAGE_START","messageId":"m-t","role":"assistant"})), &mut out);
        assert!(p.push(AguiEvent::Fault("scripted agent failure".into()), &mut out));
        let out: Vec<Value> = out.iter().map(AguiEvent::to_value).collect();
        assert_eq!(
            out,
            vec![
                json!({"type":"RUN_STARTED","threadId":"T","runId":"R"}),
                json!({"type":"TEXT_MESSAGE_START","messageId":"m-t","role":"assistant"}),
                json!({"type":"TEXT_MESSAGE_END","messageId":"m-t"}),
                json!({"type":"RUN_ERROR","message":"scripted agent failure","code":"INCOMPLETE_STREAM"}),
            ]
        );
        assert_eq!(p.error_message(), Some("scripted agent failure"));
    }

    #[test]
    fn missing_terminal_gets_closers() {
        // q-custom-agents "noterminal"
        let out = run(
            vec![
                json!({"type":"TEXT_MESSAGE_START","messageId":"m-n","role":"assistant"}),
                json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m-n","delta":"partial"}),
            ],
            Ending::Ended,
        );
        assert_eq!(out[3], json!({"type":"TEXT_MESSAGE_END","messageId":"m-n"}));
        assert_eq!(
            out[4],
            json!({"type":"RUN_ERROR","message":"Run ended without emitting a terminal event","code":"INCOMPLETE_STREAM"})
        );
    }

    #[test]
    fn stop_closes_messages_tool_calls_and_steps() {
        let out = run(
            vec![
                json!({"type":"STEP_STARTED","stepName":"s"}),
                json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}),
                json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"f"}),
            ],
            Ending::Stopped,
        );
        let tail: Vec<Value> = out[4..].to_vec();
        assert_eq!(
            tail,
            vec![
                json!({"type":"TEXT_MESSAGE_END","messageId":"m"}),
                json!({"type":"TOOL_CALL_END","toolCallId":"c"}),
                json!({"type":"TOOL_CALL_RESULT","messageId":"c-result","toolCallId":"c","content":"{\"status\":\"stopped\",\"reason\":\"stop_requested\",\"message\":\"Run stopped by user\"}","role":"tool"}),
                json!({"type":"STEP_FINISHED","stepName":"s"}),
                json!({"type":"RUN_FINISHED","threadId":"T","runId":"R"}),
            ]
        );
    }

    #[test]
    fn agent_run_error_passes_through_once() {
        let mut p = RunPipeline::new("T", "R", None);
        let mut out = Vec::new();
        p.push(ev(json!({"type":"RUN_STARTED","threadId":"T","runId":"R"})), &mut out);
        assert!(p.push(ev(json!({"type":"RUN_ERROR","message":"upstream","threadId":"T","runId":"R"})), &mut out));
        p.finish(Ending::Stopped, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(p.error_message(), Some("upstream"));
    }
}
