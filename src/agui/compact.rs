//! Event compaction for stored runs and replays (spec §9.4), the RFC 6902 subset needed to fold
//! state deltas, and the message list a run leaves behind (for `/threads/:id/messages`).

use serde_json::{Map, Value};

use super::events::{AguiEvent, Extra, MessageDelta, ToolCallArgs};

struct PendingText {
    id: String,
    start: Option<AguiEvent>,
    contents: Vec<String>,
    content_metadata: Option<Value>,
    end: Option<AguiEvent>,
    others: Vec<AguiEvent>,
}

struct PendingTool {
    id: String,
    start: Option<AguiEvent>,
    args: Vec<String>,
    args_metadata: Option<Value>,
    end: Option<AguiEvent>,
    others: Vec<AguiEvent>,
}

/// Last-write-wins merge of two metadata objects.
fn merge_metadata(into: &mut Option<Value>, next: Option<&Value>) {
    let Some(Value::Object(next)) = next else { return };
    match into {
        Some(Value::Object(cur)) => {
            for (k, v) in next {
                cur.insert(k.clone(), v.clone());
            }
        }
        _ => *into = Some(Value::Object(next.clone())),
    }
}

fn metadata_extra(md: Option<Value>) -> Extra {
    let mut x = Extra::new();
    if let Some(md) = md {
        x.insert("metadata".into(), md);
    }
    x
}

/// Compact a sequence of events: per message one START / one CONTENT (all deltas concatenated) /
/// END, per tool call START / one ARGS / END, with events that arrived while the message or call
/// was open moved after its END; all state events between run boundaries folded into one
/// `STATE_SNAPSHOT` placed right before the boundary (`RUN_STARTED`, `RUN_FINISHED`, `RUN_ERROR`,
/// or the end). Everything else keeps its order.
pub fn compact_events(events: &[AguiEvent]) -> Vec<AguiEvent> {
    let mut out = Vec::with_capacity(events.len());
    let mut texts: Vec<PendingText> = Vec::new();
    let mut tools: Vec<PendingTool> = Vec::new();
    let mut state_events: Vec<&AguiEvent> = Vec::new();

    fn text_slot<'a>(texts: &'a mut Vec<PendingText>, id: &str) -> &'a mut PendingText {
        if let Some(i) = texts.iter().position(|p| p.id == id) {
            &mut texts[i]
        } else {
            texts.push(PendingText {
                id: id.to_string(),
                start: None,
                contents: Vec::new(),
                content_metadata: None,
                end: None,
                others: Vec::new(),
            });
            texts.last_mut().expect("just pushed")
        }
    }
    fn tool_slot<'a>(tools: &'a mut Vec<PendingTool>, id: &str) -> &'a mut PendingTool {
        if let Some(i) = tools.iter().position(|p| p.id == id) {
            &mut tools[i]
        } else {
            tools.push(PendingTool {
                id: id.to_string(),
                start: None,
                args: Vec::new(),
                args_metadata: None,
                end: None,
                others: Vec::new(),
            });
            tools.last_mut().expect("just pushed")
        }
    }

    for ev in events {
        match ev {
            AguiEvent::TextMessageStart(e) => {
                let slot = text_slot(&mut texts, &e.message_id);
                slot.start = Some(ev.clone());
            }
            AguiEvent::TextMessageContent(e) => {
                let slot = text_slot(&mut texts, &e.message_id);
                slot.contents.push(e.delta.clone());
                merge_metadata(&mut slot.content_metadata, e.extra.get("metadata"));
            }
            AguiEvent::TextMessageEnd(e) => {
                let i = {
                    let slot = text_slot(&mut texts, &e.message_id);
                    slot.end = Some(ev.clone());
                    texts.iter().position(|p| p.id == e.message_id).expect("slot exists")
                };
                let pending = texts.remove(i);
                flush_text(pending, &mut out);
            }
            AguiEvent::ToolCallStart(e) => {
                let slot = tool_slot(&mut tools, &e.tool_call_id);
                slot.start = Some(ev.clone());
            }
            AguiEvent::ToolCallArgs(e) => {
                let slot = tool_slot(&mut tools, &e.tool_call_id);
                slot.args.push(e.delta.clone());
                merge_metadata(&mut slot.args_metadata, e.extra.get("metadata"));
            }
            AguiEvent::ToolCallEnd(e) => {
                let i = {
                    let slot = tool_slot(&mut tools, &e.tool_call_id);
                    slot.end = Some(ev.clone());
                    tools.iter().position(|p| p.id == e.tool_call_id).expect("slot exists")
                };
                let pending = tools.remove(i);
                flush_tool(pending, &mut out);
            }
            AguiEvent::RunStarted(_) | AguiEvent::RunFinished(_) | AguiEvent::RunError(_) => {
                flush_state(&mut state_events, &mut out);
                out.push(ev.clone());
            }
            AguiEvent::StateSnapshot(_) | AguiEvent::StateDelta(_) => state_events.push(ev),
            AguiEvent::Fault(_) => {}
            _ => {
                if let Some(p) = texts.iter_mut().find(|p| p.start.is_some() && p.end.is_none()) {
                    p.others.push(ev.clone());
                } else if let Some(p) = tools.iter_mut().find(|p| p.start.is_some() && p.end.is_none()) {
                    p.others.push(ev.clone());
                } else {
                    out.push(ev.clone());
                }
            }
        }
    }
    for p in texts {
        flush_text(p, &mut out);
    }
    for p in tools {
        flush_tool(p, &mut out);
    }
    flush_state(&mut state_events, &mut out);
    out
}

fn flush_text(p: PendingText, out: &mut Vec<AguiEvent>) {
    if let Some(s) = p.start {
        out.push(s);
    }
    if !p.contents.is_empty() {
        out.push(AguiEvent::TextMessageContent(MessageDelta {
            message_id: p.id.clone(),
            delta: p.contents.concat(),
            extra: metadata_extra(p.content_metadata),
        }));
    }
    if let Some(e) = p.end {
        out.push(e);
    }
    out.extend(p.others);
}

fn flush_tool(p: PendingTool, out: &mut Vec<AguiEvent>) {
    if let Some(s) = p.start {
        out.push(s);
    }
    if !p.args.is_empty() {
        out.push(AguiEvent::ToolCallArgs(ToolCallArgs {
            tool_call_id: p.id.clone(),
            delta: p.args.concat(),
            extra: metadata_extra(p.args_metadata),
        }));
    }
    if let Some(e) = p.end {
        out.push(e);
    }
    out.extend(p.others);
}

fn flush_state(state_events: &mut Vec<&AguiEvent>, out: &mut Vec<AguiEvent>) {
    if state_events.is_empty() {
        return;
    }
    let mut state = Value::Object(Map::new());
    let mut metadata = None;
    for ev in state_events.iter() {
        match ev {
            AguiEvent::StateSnapshot(s) => {
                state = s.snapshot.clone();
                merge_metadata(&mut metadata, s.extra.get("metadata"));
            }
            AguiEvent::StateDelta(d) => {
                apply_patch(&mut state, &d.delta);
                merge_metadata(&mut metadata, d.extra.get("metadata"));
            }
            _ => {}
        }
    }
    state_events.clear();
    out.push(AguiEvent::StateSnapshot(super::events::StateSnapshot { snapshot: state, extra: metadata_extra(metadata) }));
}

// ------------------------------------------------------------------------------------------------
// RFC 6902
// ------------------------------------------------------------------------------------------------

/// Apply JSON Patch operations in order; an operation that cannot apply is skipped.
pub fn apply_patch(doc: &mut Value, ops: &[Value]) {
    for op in ops {
        let _ = apply_op(doc, op);
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> Result<Vec<String>, ()> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path.strip_prefix('/').ok_or(())?;
    Ok(rest.split('/').map(unescape).collect())
}

fn get_at<'a>(doc: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn get_at_mut<'a>(doc: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn add_at(doc: &mut Value, tokens: &[String], value: Value) -> Result<(), ()> {
    let Some((last, parent)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_at_mut(doc, parent).ok_or(())? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            let i: usize = last.parse().map_err(|_| ())?;
            if i > a.len() {
                return Err(());
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(()),
    }
}

fn remove_at(doc: &mut Value, tokens: &[String]) -> Result<Value, ()> {
    let (last, parent) = tokens.split_last().ok_or(())?;
    match get_at_mut(doc, parent).ok_or(())? {
        Value::Object(m) => m.shift_remove(last).ok_or(()),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| ())?;
            if i >= a.len() {
                return Err(());
            }
            Ok(a.remove(i))
        }
        _ => Err(()),
    }
}

fn apply_op(doc: &mut Value, op: &Value) -> Result<(), ()> {
    let kind = op.get("op").and_then(Value::as_str).ok_or(())?;
    let path = split_pointer(op.get("path").and_then(Value::as_str).ok_or(())?)?;
    match kind {
        "add" => add_at(doc, &path, op.get("value").cloned().unwrap_or(Value::Null)),
        "remove" => remove_at(doc, &path).map(|_| ()),
        "replace" => {
            let value = op.get("value").cloned().unwrap_or(Value::Null);
            let target = get_at_mut(doc, &path).ok_or(())?;
            *target = value;
            Ok(())
        }
        "move" => {
            let from = split_pointer(op.get("from").and_then(Value::as_str).ok_or(())?)?;
            let v = remove_at(doc, &from)?;
            add_at(doc, &path, v)
        }
        "copy" => {
            let from = split_pointer(op.get("from").and_then(Value::as_str).ok_or(())?)?;
            let v = get_at(doc, &from).cloned().ok_or(())?;
            add_at(doc, &path, v)
        }
        "test" => {
            let expected = op.get("value").cloned().unwrap_or(Value::Null);
            if get_at(doc, &path) == Some(&expected) {
                Ok(())
            } else {
                Err(())
            }
        }
        _ => Err(()),
    }
}

// ------------------------------------------------------------------------------------------------
// Messages a run leaves behind
// ------------------------------------------------------------------------------------------------

/// Apply a run's events to its input messages (AG-UI JSON), the way the client-side agent does,
/// giving the thread's message list after the run.
pub fn apply_events_to_messages(mut messages: Vec<Value>, events: &[AguiEvent]) -> Vec<Value> {
    fn find<'a>(messages: &'a mut [Value], id: &str) -> Option<&'a mut Map<String, Value>> {
        messages
            .iter_mut()
            .rev()
            .find(|m| m.get("id").and_then(Value::as_str) == Some(id))
            .and_then(Value::as_object_mut)
    }
    // In place: a long streamed answer must cost linear time, not a copy per chunk.
    fn append(m: &mut Map<String, Value>, key: &str, delta: &str) {
        match m.get_mut(key) {
            Some(Value::String(s)) => s.push_str(delta),
            _ => {
                m.insert(key.to_string(), Value::String(delta.to_string()));
            }
        }
    }
    for ev in events {
        match ev {
            AguiEvent::TextMessageStart(e) if find(&mut messages, &e.message_id).is_none() => {
                let mut m = Map::new();
                m.insert("id".into(), e.message_id.clone().into());
                m.insert("role".into(), e.role.clone().into());
                m.insert("content".into(), "".into());
                if let Some(n) = &e.name {
                    m.insert("name".into(), n.clone().into());
                }
                messages.push(Value::Object(m));
            }
            AguiEvent::TextMessageContent(e) | AguiEvent::ReasoningMessageContent(e) => {
                if let Some(m) = find(&mut messages, &e.message_id) {
                    append(m, "content", &e.delta);
                }
            }
            AguiEvent::ReasoningMessageStart(e) if find(&mut messages, &e.message_id).is_none() => {
                let mut m = Map::new();
                m.insert("id".into(), e.message_id.clone().into());
                m.insert("role".into(), "reasoning".into());
                m.insert("content".into(), "".into());
                messages.push(Value::Object(m));
            }
            AguiEvent::ToolCallStart(e) => {
                let call = serde_json::json!({
                    "id": e.tool_call_id,
                    "type": "function",
                    "function": {"name": e.tool_call_name, "arguments": ""}
                });
                let parent = e.parent_message_id.as_deref();
                let target = parent.and_then(|p| find(&mut messages, p)).filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"));
                match target {
                    Some(m) => {
                        let calls = m.entry("toolCalls").or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(a) = calls {
                            a.push(call);
                        }
                    }
                    None => {
                        let mut m = Map::new();
                        m.insert("id".into(), parent.unwrap_or(&e.tool_call_id).to_string().into());
                        m.insert("role".into(), "assistant".into());
                        m.insert("toolCalls".into(), Value::Array(vec![call]));
                        messages.push(Value::Object(m));
                    }
                }
            }
            AguiEvent::ToolCallArgs(e) => {
                'outer: for m in messages.iter_mut().rev() {
                    if let Some(Value::Array(calls)) = m.get_mut("toolCalls") {
                        for c in calls.iter_mut() {
                            if c.get("id").and_then(Value::as_str) == Some(e.tool_call_id.as_str()) {
                                if let Some(f) = c.get_mut("function").and_then(Value::as_object_mut) {
                                    append(f, "arguments", &e.delta);
                                }
                                break 'outer;
                            }
                        }
                    }
                }
            }
            AguiEvent::ToolCallResult(e) => {
                let mut m = Map::new();
                m.insert("id".into(), e.message_id.clone().into());
                m.insert("role".into(), "tool".into());
                m.insert("toolCallId".into(), e.tool_call_id.clone().into());
                m.insert("content".into(), e.content.clone().into());
                messages.push(Value::Object(m));
            }
            AguiEvent::MessagesSnapshot(e) => messages = e.messages.clone(),
            AguiEvent::ActivitySnapshot(e) => {
                let replace = e.replace.unwrap_or(true);
                let exists = find(&mut messages, &e.message_id);
                match exists {
                    Some(m) if replace => {
                        m.insert("activityType".into(), e.activity_type.clone().into());
                        m.insert("content".into(), e.content.clone());
                    }
                    Some(_) => {}
                    None => {
                        let mut m = Map::new();
                        m.insert("id".into(), e.message_id.clone().into());
                        m.insert("role".into(), "activity".into());
                        m.insert("activityType".into(), e.activity_type.clone().into());
                        m.insert("content".into(), e.content.clone());
                        messages.push(Value::Object(m));
                    }
                }
            }
            _ => {}
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: Value) -> AguiEvent {
        AguiEvent::from_value(v).unwrap()
    }

    fn vals(evs: &[AguiEvent]) -> Vec<Value> {
        evs.iter().map(AguiEvent::to_value).collect()
    }

    #[test]
    fn concatenates_deltas_and_moves_interleaved_events() {
        let events = vec![
            ev(json!({"type":"RUN_STARTED","threadId":"t","runId":"r"})),
            ev(json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"})),
            ev(json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"Hel"})),
            ev(json!({"type":"CUSTOM","name":"c","value":1})),
            ev(json!({"type":"STATE_SNAPSHOT","snapshot":{"count":1,"items":[]}})),
            ev(json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"lo"})),
            ev(json!({"type":"TEXT_MESSAGE_END","messageId":"m"})),
            ev(json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"f","parentMessageId":"m"})),
            ev(json!({"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"{\"a\":"})),
            ev(json!({"type":"STATE_DELTA","delta":[{"op":"replace","path":"/count","value":2},{"op":"add","path":"/items/-","value":"x"}]})),
            ev(json!({"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"1}"})),
            ev(json!({"type":"TOOL_CALL_END","toolCallId":"c"})),
            ev(json!({"type":"TOOL_CALL_RESULT","messageId":"res","toolCallId":"c","content":"ok"})),
            ev(json!({"type":"RUN_FINISHED","threadId":"t","runId":"r"})),
        ];
        assert_eq!(
            vals(&compact_events(&events)),
            vec![
                json!({"type":"RUN_STARTED","threadId":"t","runId":"r"}),
                json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}),
                json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"Hello"}),
                json!({"type":"TEXT_MESSAGE_END","messageId":"m"}),
                json!({"type":"CUSTOM","name":"c","value":1}),
                json!({"type":"TOOL_CALL_START","parentMessageId":"m","toolCallId":"c","toolCallName":"f"}),
                json!({"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"{\"a\":1}"}),
                json!({"type":"TOOL_CALL_END","toolCallId":"c"}),
                json!({"type":"TOOL_CALL_RESULT","messageId":"res","toolCallId":"c","content":"ok"}),
                json!({"type":"STATE_SNAPSHOT","snapshot":{"count":2,"items":["x"]}}),
                json!({"type":"RUN_FINISHED","threadId":"t","runId":"r"}),
            ]
        );
    }

    #[test]
    fn state_collapses_per_run() {
        let events = vec![
            ev(json!({"type":"RUN_STARTED","threadId":"t","runId":"1"})),
            ev(json!({"type":"STATE_DELTA","delta":[{"op":"add","path":"/a","value":1}]})),
            ev(json!({"type":"RUN_FINISHED","threadId":"t","runId":"1"})),
            ev(json!({"type":"RUN_STARTED","threadId":"t","runId":"2"})),
            ev(json!({"type":"STATE_SNAPSHOT","snapshot":{"b":2}})),
            ev(json!({"type":"STATE_DELTA","delta":[{"op":"remove","path":"/b"},{"op":"bogus","path":"/x"}]})),
            ev(json!({"type":"RUN_ERROR","message":"m"})),
        ];
        let out = vals(&compact_events(&events));
        assert_eq!(out[1], json!({"type":"STATE_SNAPSHOT","snapshot":{"a":1}}));
        assert_eq!(out[4], json!({"type":"STATE_SNAPSHOT","snapshot":{}}));
        assert_eq!(out.len(), 6);
    }

    #[test]
    fn json_patch_operations() {
        let mut doc = json!({"a":{"b":[1,2]},"c":"x"});
        apply_patch(
            &mut doc,
            &[
                json!({"op":"add","path":"/a/b/1","value":9}),
                json!({"op":"move","from":"/c","path":"/d"}),
                json!({"op":"copy","from":"/d","path":"/e~1f"}),
                json!({"op":"test","path":"/d","value":"x"}),
                json!({"op":"replace","path":"/a/b/0","value":0}),
                json!({"op":"remove","path":"/missing"}),
            ],
        );
        assert_eq!(doc, json!({"a":{"b":[0,9,2]},"d":"x","e/f":"x"}));
    }

    #[test]
    fn messages_after_a_run() {
        let input = vec![json!({"id":"u","role":"user","content":"hi"})];
        let events = vec![
            ev(json!({"type":"TOOL_CALL_START","toolCallId":"c","toolCallName":"f","parentMessageId":"p"})),
            ev(json!({"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"{}"})),
            ev(json!({"type":"TOOL_CALL_END","toolCallId":"c"})),
            ev(json!({"type":"TOOL_CALL_RESULT","messageId":"r","toolCallId":"c","content":"42"})),
            ev(json!({"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"})),
            ev(json!({"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"Done"})),
            ev(json!({"type":"TEXT_MESSAGE_END","messageId":"m"})),
        ];
        let out = apply_events_to_messages(input, &events);
        assert_eq!(
            out,
            vec![
                json!({"id":"u","role":"user","content":"hi"}),
                json!({"id":"p","role":"assistant","toolCalls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}),
                json!({"id":"r","role":"tool","toolCallId":"c","content":"42"}),
                json!({"id":"m","role":"assistant","content":"Done"}),
            ]
        );
    }
}
