//! The JSON twin of every operation: one JSON request in, one JSON answer out, never a panic.
//!
//! Request: `{"op", "sources": [source…], "settings"?, "apply"?: [source…], …the operation's own
//! keys}`, the operation's keys as [`super::MeshCall`] names them (`load`, `check`, `diff`
//! (`against`) and `tour` are the twin's own). A source is a path, `{"name", "text",
//! "namespace"?}` or `{"builtin": "seed"}`.
//! Answer: `{"type": "success", "diagnostics": [...], ...result}` (a result that is not an object,
//! such as `simulate`'s list of steps, is under `value`) or
//! `{"type": "failure", "code": "...", "message": "...", "diagnostics": [...]}`. `explain`, `plan`
//! and `tour` carry their `text`, `check` its `sarif` (unless `render` says otherwise).

use serde::Deserialize;
use serde_json::{Value, json};

use super::both::Both;
use super::request::{self, MeshHandle, MeshRequest, Render, RenderRequest, Rendering};
use super::sources::{OverlaySpec, Placement, SourceSpec, read_specs};
use super::weigh::WeighRequest;
use super::{ApiError, guard};
use crate::diagnostic::Diagnostic;
use crate::mesh::Mesh;
use crate::settings::MeshSettings;

/// The mesh an operation runs on: sources, settings and what-if overlays.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    sources: Vec<SourceSpec>,
    #[serde(default)]
    settings: MeshSettings,
    #[serde(default)]
    apply: Vec<OverlaySpec>,
}

impl Input {
    fn load(self) -> Result<(MeshHandle, Vec<Diagnostic>), ApiError> {
        let sources = read_specs(self.sources, Placement::default(), &self.settings.limits)?;
        let loaded = Mesh::load(&sources, &self.settings)?;
        let mut diagnostics = loaded.diagnostics;
        let mut handle = MeshHandle::new(loaded.mesh);
        if !self.apply.is_empty() {
            let overlays = super::sources::read_overlays(self.apply, Placement::default(), handle.mesh().limits())?;
            let applied = handle.mesh().apply(&overlays)?;
            diagnostics.extend(applied.diagnostics);
            handle = MeshHandle::new(applied.mesh);
        }
        Ok((handle, diagnostics))
    }
}

/// `diff`'s other configuration (complete, not an overlay).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Against {
    against: Vec<SourceSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Op {
    op: String,
}

fn parse<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::bad_request("request", e))
}

/// The answer with the loading diagnostics beside it; an answer that is not an object (a list of
/// steps, a rendering asked for alone) goes under `value`, so that the diagnostics are never lost.
fn with_diagnostics(value: Value, diagnostics: &[Diagnostic]) -> Result<Value, ApiError> {
    let mut map = match value {
        Value::Object(map) => map,
        other => serde_json::Map::from_iter([("value".to_owned(), other)]),
    };
    map.insert(
        "diagnostics".to_owned(),
        serde_json::to_value(diagnostics).map_err(ApiError::unserialisable)?,
    );
    Ok(Value::Object(map))
}

fn dispatch(request: Value) -> Result<Value, ApiError> {
    let Both(Op { op }, mut rest) = parse::<Both<Op, serde_json::Map<String, Value>>>(request)?;
    let default = |render: Option<Render>, rendering: Rendering| render.or(Some(Render::With(vec![rendering])));
    match op.as_str() {
        "tour" => {
            let RenderRequest { render } = parse(Value::Object(rest))?;
            with_diagnostics(request::tour(default(render, Rendering::Text))?.to_value()?, &[])
        }
        "check" => {
            let Both(input, Both(RenderRequest { render }, weigh)) =
                parse::<Both<Input, Both<RenderRequest, WeighRequest>>>(Value::Object(rest))?;
            let options = Both(Placement::default(), Both(weigh, input.settings));
            request::check(input.sources, options, default(render, Rendering::Sarif))?.to_value()
        }
        "load" => {
            let (handle, diagnostics) = parse::<Input>(Value::Object(rest))?.load()?;
            let matrix = handle.mesh().matrix();
            let value = json!({"settings": matrix.settings, "clients": matrix.clients, "services": matrix.services});
            with_diagnostics(value, &diagnostics)
        }
        "diff" => {
            let Both(input, Both(Against { against }, weigh)) =
                parse::<Both<Input, Both<Against, WeighRequest>>>(Value::Object(rest))?;
            let settings = input.settings.clone();
            let (before, mut diagnostics) = input.load()?;
            let (after, more) = Input {
                sources: against,
                settings,
                apply: Vec::new(),
            }
            .load()?;
            diagnostics.extend(more);
            let reply = request::diff(&before, &after, weigh)?;
            // The diff's own findings (ML402) join the loading diagnostics under one key.
            if let request::Answer::Diff(diff) = &reply.answer {
                diagnostics.extend(diff.diagnostics.iter().cloned());
            }
            with_diagnostics(reply.to_value()?, &diagnostics)
        }
        _ => {
            rest.insert("op".to_owned(), Value::String(op.clone()));
            let Both(input, mut call) = parse::<Both<Input, MeshRequest>>(Value::Object(rest))?;
            if op == "plan" {
                call.0.render = default(call.0.render.take(), Rendering::Text);
            }
            let (handle, diagnostics) = input.load()?;
            with_diagnostics(handle.answer(call)?.to_value()?, &diagnostics)
        }
    }
}

/// The JSON twin of every operation; never panics, always answers JSON.
pub fn call_json(request: &str) -> String {
    let answer = guard(|| {
        let request: Value = serde_json::from_str(request).map_err(|e| ApiError::bad_request("request", e))?;
        dispatch(request)
    });
    let value = match answer {
        Ok(Value::Object(mut map)) => {
            map.insert("type".to_owned(), Value::String("success".to_owned()));
            Value::Object(map)
        }
        Ok(other) => json!({"type": "success", "value": other}),
        Err(e) => json!({"type": "failure", "code": e.code, "message": e.message,
                         "diagnostics": serde_json::to_value(&e.diagnostics).unwrap_or(Value::Null)}),
    };
    value.to_string()
}
