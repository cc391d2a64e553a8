//! Builders for the output objects (§4) as [`Resolved`] values.
//!
//! The main entry is [`copilot_response`]: it returns the `CopilotResponse` value for the resolver
//! to return, and a [`ResponseWriter`] the engine feeds from its event stream (start a text
//! message, push chunks, finish it with a status, …). Everything is channel based, so the writer
//! can be moved into the engine's task while the executor streams the response.

use futures_util::stream;
use serde_json::{json, Map, Value as Json};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{mpsc, oneshot, watch};

use super::resolved::Resolved;
pub use crate::time::now_iso;

/// Status of one message (`MessageStatus` union).
#[derive(Debug, Clone, PartialEq)]
pub enum MessageStatus {
    Pending,
    Success,
    Failed { reason: String },
}

impl MessageStatus {
    pub fn into_resolved(self) -> Resolved {
        match self {
            MessageStatus::Pending => Resolved::object(
                "PendingMessageStatus",
                vec![("code", Resolved::string("Pending"))],
            ),
            MessageStatus::Success => Resolved::object(
                "SuccessMessageStatus",
                vec![("code", Resolved::string("Success"))],
            ),
            MessageStatus::Failed { reason } => Resolved::object(
                "FailedMessageStatus",
                vec![
                    ("code", Resolved::string("Failed")),
                    ("reason", Resolved::string(reason)),
                ],
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedResponseStatusReason {
    GuardrailsValidationFailed,
    MessageStreamInterrupted,
    UnknownError,
}

impl FailedResponseStatusReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailedResponseStatusReason::GuardrailsValidationFailed => {
                "GUARDRAILS_VALIDATION_FAILED"
            }
            FailedResponseStatusReason::MessageStreamInterrupted => "MESSAGE_STREAM_INTERRUPTED",
            FailedResponseStatusReason::UnknownError => "UNKNOWN_ERROR",
        }
    }
}

/// Status of the whole response (`ResponseStatus` union).
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseStatus {
    Pending,
    Success,
    Failed {
        reason: FailedResponseStatusReason,
        details: Option<Json>,
    },
}

impl ResponseStatus {
    /// `UNKNOWN_ERROR` with `details: {description, originalError?}` (§7.3). `original` is the
    /// `{code, statusCode, severity, visibility, originalErrorType, …}` object react-core reads.
    pub fn unknown_error(description: impl Into<String>, original: Option<Json>) -> Self {
        let mut d = Map::new();
        d.insert("description".into(), Json::String(description.into()));
        if let Some(o) = original {
            d.insert("originalError".into(), o);
        }
        ResponseStatus::Failed {
            reason: FailedResponseStatusReason::UnknownError,
            details: Some(Json::Object(d)),
        }
    }

    /// `GUARDRAILS_VALIDATION_FAILED` with `details: {guardrailsReason}`.
    pub fn guardrails_denied(reason: impl Into<String>) -> Self {
        ResponseStatus::Failed {
            reason: FailedResponseStatusReason::GuardrailsValidationFailed,
            details: Some(json!({ "guardrailsReason": reason.into() })),
        }
    }

    pub fn into_resolved(self) -> Resolved {
        match self {
            ResponseStatus::Pending => Resolved::object(
                "PendingResponseStatus",
                vec![("code", Resolved::string("Pending"))],
            ),
            ResponseStatus::Success => Resolved::object(
                "SuccessResponseStatus",
                vec![("code", Resolved::string("Success"))],
            ),
            ResponseStatus::Failed { reason, details } => Resolved::object(
                "FailedResponseStatus",
                vec![
                    ("code", Resolved::string("Failed")),
                    ("reason", Resolved::string(reason.as_str())),
                    ("details", details.map_or(Resolved::Null, Resolved::Leaf)),
                ],
            ),
        }
    }
}

/// A complete message (content known in full), e.g. for results, agent state snapshots, images
/// and the messages of a `CopilotKitLangGraphInterruptEvent`. `created_at: None` means now.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputMessage {
    Text {
        id: String,
        created_at: Option<String>,
        content: String,
        parent_message_id: Option<String>,
        status: MessageStatus,
    },
    ActionExecution {
        id: String,
        created_at: Option<String>,
        name: String,
        arguments: String,
        parent_message_id: Option<String>,
        status: MessageStatus,
    },
    Result {
        id: String,
        created_at: Option<String>,
        action_execution_id: String,
        action_name: String,
        result: String,
        status: MessageStatus,
    },
    AgentState {
        id: String,
        created_at: Option<String>,
        thread_id: String,
        agent_name: String,
        node_name: String,
        run_id: String,
        active: bool,
        running: bool,
        /// JSON text.
        state: String,
        status: MessageStatus,
    },
    Image {
        id: String,
        created_at: Option<String>,
        format: String,
        bytes: String,
        parent_message_id: Option<String>,
        status: MessageStatus,
    },
}

fn created(c: Option<String>) -> Resolved {
    Resolved::string(c.unwrap_or_else(now_iso))
}

impl OutputMessage {
    pub fn into_resolved(self) -> Resolved {
        match self {
            OutputMessage::Text {
                id,
                created_at,
                content,
                parent_message_id,
                status,
            } => Resolved::object(
                "TextMessageOutput",
                vec![
                    ("id", Resolved::string(id)),
                    ("createdAt", created(created_at)),
                    ("status", status.into_resolved()),
                    ("role", Resolved::string("assistant")),
                    ("content", Resolved::List(vec![Resolved::string(content)])),
                    ("parentMessageId", Resolved::opt_string(parent_message_id)),
                ],
            ),
            OutputMessage::ActionExecution {
                id,
                created_at,
                name,
                arguments,
                parent_message_id,
                status,
            } => Resolved::object(
                "ActionExecutionMessageOutput",
                vec![
                    ("id", Resolved::string(id)),
                    ("createdAt", created(created_at)),
                    ("status", status.into_resolved()),
                    ("name", Resolved::string(name)),
                    (
                        "arguments",
                        Resolved::List(vec![Resolved::string(arguments)]),
                    ),
                    ("parentMessageId", Resolved::opt_string(parent_message_id)),
                ],
            ),
            OutputMessage::Result {
                id,
                created_at,
                action_execution_id,
                action_name,
                result,
                status,
            } => Resolved::object(
                "ResultMessageOutput",
                vec![
                    ("id", Resolved::string(id)),
                    ("createdAt", created(created_at)),
                    ("status", status.into_resolved()),
                    ("actionExecutionId", Resolved::string(action_execution_id)),
                    ("actionName", Resolved::string(action_name)),
                    ("result", Resolved::string(result)),
                ],
            ),
            OutputMessage::AgentState {
                id,
                created_at,
                thread_id,
                agent_name,
                node_name,
                run_id,
                active,
                running,
                state,
                status,
            } => Resolved::object(
                "AgentStateMessageOutput",
                vec![
                    ("id", Resolved::string(id)),
                    ("createdAt", created(created_at)),
                    ("status", status.into_resolved()),
                    ("threadId", Resolved::string(thread_id)),
                    ("agentName", Resolved::string(agent_name)),
                    ("nodeName", Resolved::string(node_name)),
                    ("runId", Resolved::string(run_id)),
                    ("active", Resolved::leaf(active)),
                    ("role", Resolved::string("assistant")),
                    ("state", Resolved::string(state)),
                    ("running", Resolved::leaf(running)),
                ],
            ),
            OutputMessage::Image {
                id,
                created_at,
                format,
                bytes,
                parent_message_id,
                status,
            } => Resolved::object(
                "ImageMessageOutput",
                vec![
                    ("id", Resolved::string(id)),
                    ("createdAt", created(created_at)),
                    ("status", status.into_resolved()),
                    ("format", Resolved::string(format)),
                    ("bytes", Resolved::string(bytes)),
                    ("role", Resolved::string("assistant")),
                    ("parentMessageId", Resolved::opt_string(parent_message_id)),
                ],
            ),
        }
    }
}

/// A `metaEvents` item.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaEvent {
    LangGraphInterrupt {
        value: String,
        response: Option<String>,
    },
    CopilotKitLangGraphInterrupt {
        value: String,
        messages: Vec<OutputMessage>,
        response: Option<String>,
    },
}

impl MetaEvent {
    pub fn into_resolved(self) -> Resolved {
        match self {
            MetaEvent::LangGraphInterrupt { value, response } => Resolved::object(
                "LangGraphInterruptEvent",
                vec![
                    ("type", Resolved::string("MetaEvent")),
                    ("name", Resolved::string("LangGraphInterruptEvent")),
                    ("value", Resolved::string(value)),
                    ("response", Resolved::opt_string(response)),
                ],
            ),
            MetaEvent::CopilotKitLangGraphInterrupt {
                value,
                messages,
                response,
            } => Resolved::object(
                "CopilotKitLangGraphInterruptEvent",
                vec![
                    ("type", Resolved::string("MetaEvent")),
                    (
                        "name",
                        Resolved::string("CopilotKitLangGraphInterruptEvent"),
                    ),
                    (
                        "data",
                        Resolved::object(
                            "CopilotKitLangGraphInterruptEventData",
                            vec![
                                ("value", Resolved::string(value)),
                                (
                                    "messages",
                                    Resolved::List(
                                        messages
                                            .into_iter()
                                            .map(OutputMessage::into_resolved)
                                            .collect(),
                                    ),
                                ),
                            ],
                        ),
                    ),
                    ("response", Resolved::opt_string(response)),
                ],
            ),
        }
    }
}

/// `ExtensionsResponse.openaiAssistantAPI`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenAIAssistantApiResponse {
    pub run_id: Option<String>,
    pub thread_id: Option<String>,
}

/// The immediately known part of a `CopilotResponse`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CopilotResponseHead {
    pub thread_id: String,
    pub run_id: Option<String>,
    /// `None` → `extensions: null` (every adapter but OpenAIAssistantAdapter).
    pub extensions: Option<Option<OpenAIAssistantApiResponse>>,
}

/// The sending side of a list fed through a channel. It counts what was pushed; the receiving
/// side counts what the executor has taken, so that a status can wait until everything pushed
/// before it has been delivered (a message's status never overtakes its own chunks, whatever
/// the scheduling).
struct Feed<T> {
    tx: Option<mpsc::UnboundedSender<T>>,
    pushed: AtomicUsize,
}

impl<T> Feed<T> {
    fn push(&self, v: T) {
        if let Some(tx) = &self.tx {
            if tx.send(v).is_ok() {
                self.pushed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    fn pushed(&self) -> usize {
        self.pushed.load(Ordering::SeqCst)
    }
    fn is_closed(&self) -> bool {
        self.tx.as_ref().is_none_or(|tx| tx.is_closed())
    }
    fn end(&mut self) {
        self.tx = None;
    }
}

fn feed<T: Send + 'static>() -> (
    Feed<T>,
    impl futures_util::Stream<Item = T> + Send + 'static,
    watch::Receiver<usize>,
) {
    let (tx, rx) = mpsc::unbounded_channel::<T>();
    let (taken_tx, taken_rx) = watch::channel(0usize);
    let stream = stream::unfold((rx, taken_tx), |(mut rx, taken)| async move {
        let v = rx.recv().await?;
        taken.send_modify(|n| *n += 1);
        Some((v, (rx, taken)))
    });
    (
        Feed {
            tx: Some(tx),
            pushed: AtomicUsize::new(0),
        },
        stream,
        taken_rx,
    )
}

/// Waits until `target` items were taken from a feed (or the list is no longer consumed).
async fn taken(mut rx: watch::Receiver<usize>, target: usize) {
    let _ = rx.wait_for(|n| *n >= target).await;
}

/// Builds a `CopilotResponse` whose `status`, `messages` and `metaEvents` are fed through the
/// returned writer.
pub fn copilot_response(head: CopilotResponseHead) -> (ResponseWriter, Resolved) {
    let (messages, msg_stream, msg_taken) = feed::<Resolved>();
    let (meta_events, meta_stream, meta_taken) = feed::<Resolved>();
    let (status_tx, status_rx) = oneshot::channel::<(ResponseStatus, usize, usize)>();
    let extensions = match head.extensions {
        None => Resolved::Null,
        Some(api) => Resolved::object(
            "ExtensionsResponse",
            vec![(
                "openaiAssistantAPI",
                match api {
                    None => Resolved::Null,
                    Some(a) => Resolved::object(
                        "OpenAIApiAssistantAPIResponse",
                        vec![
                            ("runId", Resolved::opt_string(a.run_id)),
                            ("threadId", Resolved::opt_string(a.thread_id)),
                        ],
                    ),
                },
            )],
        ),
    };
    let status = Resolved::pending(async move {
        match status_rx.await {
            Ok((status, messages, meta_events)) => {
                taken(msg_taken, messages).await;
                taken(meta_taken, meta_events).await;
                status.into_resolved()
            }
            Err(_) => ResponseStatus::unknown_error(
                "An unknown error has occurred in the event stream",
                None,
            )
            .into_resolved(),
        }
    });
    let value = Resolved::object(
        "CopilotResponse",
        vec![
            ("threadId", Resolved::string(head.thread_id)),
            ("runId", Resolved::opt_string(head.run_id)),
            ("extensions", extensions),
            ("status", status),
            ("messages", Resolved::stream(msg_stream)),
            ("metaEvents", Resolved::stream(meta_stream)),
        ],
    );
    (
        ResponseWriter {
            messages,
            meta_events,
            status: Some(status_tx),
        },
        value,
    )
}

/// Feeds a `CopilotResponse` built by [`copilot_response`].
///
/// Dropping the writer without [`ResponseWriter::finish`] ends the lists and fails the response
/// status with `UNKNOWN_ERROR` ("An unknown error has occurred in the event stream").
pub struct ResponseWriter {
    messages: Feed<Resolved>,
    meta_events: Feed<Resolved>,
    status: Option<oneshot::Sender<(ResponseStatus, usize, usize)>>,
}

impl ResponseWriter {
    fn push(&self, m: Resolved) {
        self.messages.push(m);
    }

    /// Starts a streamed assistant text message (`TextMessageStart`). `created_at: None` = now.
    pub fn start_text_message(
        &self,
        id: impl Into<String>,
        parent_message_id: Option<String>,
        created_at: Option<String>,
    ) -> MessageWriter {
        self.start_streamed("TextMessageOutput", id.into(), created_at, ("role", Resolved::string("assistant")), "content", parent_message_id)
    }

    /// Starts a streamed tool call (`ActionExecutionStart`); argument fragments follow.
    pub fn start_action_execution(
        &self,
        id: impl Into<String>,
        name: impl Into<String>,
        parent_message_id: Option<String>,
        created_at: Option<String>,
    ) -> MessageWriter {
        self.start_streamed("ActionExecutionMessageOutput", id.into(), created_at, ("name", Resolved::string(name)), "arguments", parent_message_id)
    }

    /// A message whose `stream_field` is fed chunk by chunk and whose status follows its chunks.
    fn start_streamed(
        &self,
        typename: &'static str,
        id: String,
        created_at: Option<String>,
        fixed: (&'static str, Resolved),
        stream_field: &'static str,
        parent_message_id: Option<String>,
    ) -> MessageWriter {
        let (chunks, chunk_stream, chunks_taken) = feed::<String>();
        let taken = chunks_taken.clone();
        let (status_tx, status_rx) = oneshot::channel::<(MessageStatus, usize)>();
        self.push(Resolved::object(
            typename,
            vec![
                ("id", Resolved::string(id)),
                ("createdAt", created(created_at)),
                ("status", pending_message_status(status_rx, chunks_taken)),
                fixed,
                (stream_field, Resolved::string_stream(chunk_stream)),
                ("parentMessageId", Resolved::opt_string(parent_message_id)),
            ],
        ));
        MessageWriter { chunks, status: Some(status_tx), taken }
    }

    /// Appends a complete message (result, agent state, image, or a whole text/tool message).
    pub fn push_message(&self, m: OutputMessage) {
        self.push(m.into_resolved());
    }

    /// Appends any message value built by hand.
    pub fn push_resolved_message(&self, m: Resolved) {
        self.push(m);
    }

    pub fn meta_event(&self, e: MetaEvent) {
        self.meta_events.push(e.into_resolved());
    }

    /// Whether the response is no longer consumed (request cancelled or body dropped).
    pub fn is_closed(&self) -> bool {
        self.messages.is_closed()
    }

    /// Resolves the response status without ending the lists. It is delivered once every
    /// message and meta event pushed before it has been delivered.
    pub fn set_status(&mut self, status: ResponseStatus) {
        if let Some(tx) = self.status.take() {
            let _ = tx.send((status, self.messages.pushed(), self.meta_events.pushed()));
        }
    }

    /// Ends `messages` and `metaEvents` (no more items).
    pub fn end_lists(&mut self) {
        self.messages.end();
        self.meta_events.end();
    }

    /// Resolves the status and ends the lists.
    pub fn finish(mut self, status: ResponseStatus) {
        self.set_status(status);
        self.end_lists();
    }
}

fn pending_message_status(
    rx: oneshot::Receiver<(MessageStatus, usize)>,
    chunks_taken: watch::Receiver<usize>,
) -> Resolved {
    Resolved::pending(async move {
        match rx.await {
            Ok((status, chunks)) => {
                taken(chunks_taken, chunks).await;
                status.into_resolved()
            }
            Err(_) => MessageStatus::Failed {
                reason: "Error streaming message content".into(),
            }
            .into_resolved(),
        }
    })
}

/// Feeds one streamed message: text `content` chunks, or tool-call `arguments` fragments.
///
/// Dropping it without a status fails the message with "Error streaming message content".
pub struct MessageWriter {
    chunks: Feed<String>,
    status: Option<oneshot::Sender<(MessageStatus, usize)>>,
    /// How many chunks the response has taken so far.
    taken: watch::Receiver<usize>,
}

impl MessageWriter {
    /// Whether the message is no longer consumed (request cancelled or body dropped).
    pub fn is_closed(&self) -> bool {
        self.chunks.is_closed()
    }

    /// One upstream delta = one list item.
    pub fn push(&self, chunk: impl Into<String>) {
        self.chunks.push(chunk.into());
    }

    /// Waits while more than `max_pending` pushed chunks are still waiting for the client:
    /// a client that reads nothing holds the producer (and the upstream read) here.
    pub async fn room(&self, max_pending: usize) {
        let pushed = self.chunks.pushed();
        let mut taken = self.taken.clone();
        let _ = taken.wait_for(|n| n + max_pending >= pushed).await;
    }

    /// Resolves the status; it is delivered once every chunk pushed before it was delivered.
    pub fn set_status(&mut self, status: MessageStatus) {
        if let Some(tx) = self.status.take() {
            let _ = tx.send((status, self.chunks.pushed()));
        }
    }

    /// Ends the chunk list.
    pub fn end_chunks(&mut self) {
        self.chunks.end();
    }

    /// Ends the chunk list and resolves the status (`TextMessageEnd` / `ActionExecutionEnd`).
    pub fn finish(mut self, status: MessageStatus) {
        self.end_chunks();
        self.set_status(status);
    }
}

/// An `Agent` of `availableAgents`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInfo {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// `AgentsResponse { agents }`.
pub fn agents_response(agents: Vec<AgentInfo>) -> Resolved {
    Resolved::object(
        "AgentsResponse",
        vec![(
            "agents",
            Resolved::List(
                agents
                    .into_iter()
                    .map(|a| {
                        Resolved::object(
                            "Agent",
                            vec![
                                ("id", Resolved::string(a.id)),
                                ("name", Resolved::string(a.name)),
                                ("description", Resolved::string(a.description)),
                            ],
                        )
                    })
                    .collect(),
            ),
        )],
    )
}

/// `LoadAgentStateResponse`; `state` and `messages` are JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadAgentStateOutput {
    pub thread_id: String,
    pub thread_exists: bool,
    pub state: String,
    pub messages: String,
}

pub fn load_agent_state_response(o: LoadAgentStateOutput) -> Resolved {
    Resolved::object(
        "LoadAgentStateResponse",
        vec![
            ("threadId", Resolved::string(o.thread_id)),
            ("threadExists", Resolved::leaf(o.thread_exists)),
            ("state", Resolved::string(o.state)),
            ("messages", Resolved::string(o.messages)),
        ],
    )
}
