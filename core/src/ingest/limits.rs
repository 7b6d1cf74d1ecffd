//! Input limits ([`Limits`]), enforced before a document reaches the YAML decoder.
//!
//! The decoder (libyaml under yaml_serde) loads a whole document before decoding it, and its time
//! grows with the square of the flow nesting (200,000 `[` take minutes). So each document is first
//! measured: a byte pass gives upper bounds on its nesting, aliases and scalars; only when one of
//! them could exceed a limit is the document scanned with the streaming event parser, which stops
//! at the first node past the limit. Normal documents cost one byte pass.

use saphyr_parser::{Event, Parser, Span};

use crate::diagnostic::{Code, Diagnostic};
use crate::settings::Limits;

/// A limit that a document exceeds, with where (1-based line and column in the document's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub message: String,
    pub help: String,
    pub pos: Option<(usize, usize)>,
}

impl Exceeded {
    fn new(what: String, setting: &str, flag: &str, pos: Option<(usize, usize)>) -> Self {
        Self {
            message: what,
            help: help(setting, flag),
            pos,
        }
    }

    pub fn into_diagnostic(self) -> Diagnostic {
        Diagnostic::error(Code::InputLimit, self.message).with_help(self.help)
    }
}

/// How to raise a limit, on every surface.
pub fn help(setting: &str, flag: &str) -> String {
    format!(
        "if the input is trusted, raise the limit: `{flag} N` on the command line, `limits.{setting}` in the settings"
    )
}

/// The diagnostic for all sources together being larger than `limits.max_input_bytes`.
pub fn input_bytes(total: u64, limits: &Limits) -> Option<Diagnostic> {
    (total > limits.max_input_bytes).then(|| {
        Diagnostic::error(
            Code::InputLimit,
            format!(
                "the input is {total} bytes, more than the limit of {} (`max_input_bytes`)",
                limits.max_input_bytes
            ),
        )
        .with_help(help("max_input_bytes", "--max-input-bytes"))
    })
}

/// The diagnostic for more than `limits.max_documents` documents (List items included).
pub fn documents(limits: &Limits) -> Diagnostic {
    Diagnostic::error(
        Code::InputLimit,
        format!(
            "the input holds more than {} documents and List items (`max_documents`); nothing past this one was read",
            limits.max_documents
        ),
    )
    .with_help(help("max_documents", "--max-documents"))
}

/// The diagnostic for an answer that would list `listed` edges one by one, more than `limit`
/// (`limits.max_listed_edges`): what was asked, and the two ways out.
pub fn listed_edges(operation: &str, listed: u64, limit: u64) -> Diagnostic {
    Diagnostic::error(
        Code::InputLimit,
        format!(
            "`{operation}` would list {listed} edges one by one, more than the limit of {limit} (`max_listed_edges`); \
             its counts and groups are complete, the per-edge lists are left out"
        ),
    )
    .with_help(format!(
        "ask for counts and groups only (the CLI's text output without `--all`, `counts_only=True` in Python, \
         `{{countsOnly: true}}` in Node and WASM), or {}",
        help("max_listed_edges", "--max-listed-edges")
    ))
}

/// Checks one document's text against the nesting, alias and string limits.
pub fn check(text: &str, limits: &Limits) -> Result<(), Exceeded> {
    // A text written as JSON (kubectl's `-o json`) is measured exactly in its one pass; any other
    // text by the upper bounds.
    if let Some(json) = Json::of(text) {
        return if json.depth > u64::from(limits.max_depth) || json.longest_string > limits.max_string_bytes {
            scan(text, limits)
        } else {
            Ok(())
        };
    }
    let bound = Bounds::of(text);
    let deep = bound.flow_openers.saturating_add(bound.block_depth) > u64::from(limits.max_depth);
    let aliased = bound.aliases && bound.anchors;
    let long = text.len() as u64 > limits.max_string_bytes;
    if deep || aliased || long {
        scan(text, limits)
    } else {
        Ok(())
    }
}

/// Upper bounds found in one pass over the bytes, without parsing.
#[derive(Debug, Default)]
struct Bounds {
    /// Every flow collection opens with a `[` or `{`, so their count bounds the flow nesting.
    flow_openers: u64,
    /// Block collections nest by indentation, or by indicators on one line (`- - - x`,
    /// `- a:`): at most the indentation plus two per indicator, plus two, on any line.
    block_depth: u64,
    aliases: bool,
    anchors: bool,
}

impl Bounds {
    fn of(text: &str) -> Self {
        let mut bounds = Bounds::default();
        for line in text.as_bytes().split(|&b| b == b'\n') {
            let indent = line.iter().take_while(|&&b| b == b' ').count() as u64;
            let mut indicators = 0u64;
            for &b in line {
                match b {
                    b'[' | b'{' => bounds.flow_openers += 1,
                    b'-' | b'?' | b':' => indicators += 1,
                    b'*' => bounds.aliases = true,
                    b'&' => bounds.anchors = true,
                    _ => {}
                }
            }
            let depth = indent.saturating_add(indicators.saturating_mul(2)).saturating_add(2);
            bounds.block_depth = bounds.block_depth.max(depth);
        }
        bounds
    }
}

/// The nesting and the longest string of a text that is plainly JSON: one flow collection whose
/// strings are double-quoted where JSON puts them, so that a YAML parser sees the same brackets
/// (outside strings, every bracket is real). `None` for anything else — a quote after a plain
/// scalar (`a"b`: YAML reads it as part of the scalar), single quotes, comments, tags, anchors,
/// aliases, a plain key before `:`, raw newlines in strings, text after the top collection —
/// which the upper bounds then measure.
#[derive(Debug, Default)]
struct Json {
    depth: u64,
    longest_string: u64,
}

impl Json {
    fn of(text: &str) -> Option<Self> {
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') && !trimmed.starts_with('[') {
            return None;
        }
        let mut json = Json::default();
        let mut depth = 0u64;
        // The last significant byte outside strings (`"` after a string); none yet: an opener.
        let mut prev = b'[';
        let mut bytes = trimmed.bytes();
        while let Some(b) = bytes.next() {
            if depth == 0 && prev != b'[' {
                // Past the top collection: only whitespace may follow.
                if !b.is_ascii_whitespace() {
                    return None;
                }
                continue;
            }
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => continue,
                b'{' | b'[' => {
                    if !matches!(prev, b'{' | b'[' | b',' | b':') {
                        return None;
                    }
                    depth += 1;
                    json.depth = json.depth.max(depth);
                }
                b'}' | b']' => depth = depth.checked_sub(1)?,
                b'"' => {
                    if !matches!(prev, b'{' | b'[' | b',' | b':') {
                        return None;
                    }
                    let mut length = 0u64;
                    loop {
                        match bytes.next()? {
                            b'"' => break,
                            b'\\' => {
                                bytes.next()?;
                            }
                            b'\n' | b'\r' => return None,
                            _ => {}
                        }
                        length += 1;
                    }
                    json.longest_string = json.longest_string.max(length);
                }
                // A key before `:` must be a string, as in JSON (a plain one may run on in YAML).
                b':' if prev != b'"' => return None,
                b':' | b',' => {}
                b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
                    // Numbers, true, false, null (and words: still no bracket or quote in them).
                    if prev == b'"' {
                        return None;
                    }
                }
                _ => return None,
            }
            if depth == 0 {
                prev = b'}';
                continue;
            }
            prev = b;
        }
        (depth == 0).then_some(json)
    }
}

/// One open collection: its anchor and the nodes it holds so far (itself included).
struct Open {
    anchor: usize,
    nodes: u64,
}

/// The exact measure, on the parser's events: stops at the first node past a limit. A syntax error
/// ends the scan quietly (the decoder reports it), except the parser's own nesting limit.
fn scan(text: &str, limits: &Limits) -> Result<(), Exceeded> {
    let mut open: Vec<Open> = Vec::new();
    // Nodes each anchor stands for, once expanded (anchor ids count up from 1).
    let mut anchored: Vec<u64> = Vec::new();
    let mut expanded = 0u64;
    let at = |span: &Span| Some((span.start.line(), span.start.col() + 1));
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(event) => event,
            // The parser reads ahead while a flow collection could be a key, up to its own limit of
            // 255 flow levels: it is where the scan stops, a little past `max_depth`.
            Err(error) if error.info().contains("recursion limit") => {
                let marker = error.marker();
                return Err(Exceeded::new(
                    format!(
                        "the document nests more than {} maps and lists deep (`max_depth`)",
                        limits.max_depth.min(255)
                    ),
                    "max_depth",
                    "--max-depth",
                    Some((marker.line(), marker.col() + 1)),
                ));
            }
            Err(_) => return Ok(()),
        };
        let done = match event {
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                if open.len() >= limits.max_depth as usize {
                    return Err(Exceeded::new(
                        format!(
                            "the document nests more than {} maps and lists deep (`max_depth`)",
                            limits.max_depth
                        ),
                        "max_depth",
                        "--max-depth",
                        at(&span),
                    ));
                }
                open.push(Open { anchor, nodes: 1 });
                None
            }
            Event::MappingEnd | Event::SequenceEnd => open.pop().map(|o| (o.anchor, o.nodes)),
            Event::Scalar(value, _, anchor, _) => {
                if value.len() as u64 > limits.max_string_bytes {
                    return Err(Exceeded::new(
                        format!(
                            "a string of {} bytes is longer than the limit of {} (`max_string_bytes`)",
                            value.len(),
                            limits.max_string_bytes
                        ),
                        "max_string_bytes",
                        "--max-string-bytes",
                        at(&span),
                    ));
                }
                Some((anchor, 1))
            }
            Event::Alias(anchor) => {
                let nodes = anchor
                    .checked_sub(1)
                    .and_then(|i| anchored.get(i))
                    .copied()
                    .unwrap_or(1);
                expanded = expanded.saturating_add(nodes);
                if expanded > limits.max_alias_nodes {
                    return Err(Exceeded::new(
                        format!(
                            "aliases expand to more than {} nodes (`max_alias_nodes`): a YAML \"billion laughs\"",
                            limits.max_alias_nodes
                        ),
                        "max_alias_nodes",
                        "--max-alias-nodes",
                        at(&span),
                    ));
                }
                Some((0, nodes))
            }
            _ => None,
        };
        if let Some((anchor, nodes)) = done {
            if anchor > 0 {
                let index = anchor - 1;
                if anchored.len() <= index {
                    anchored.resize(index + 1, 1);
                }
                if let Some(slot) = anchored.get_mut(index) {
                    *slot = nodes;
                }
            }
            if let Some(parent) = open.last_mut() {
                parent.nodes = parent.nodes.saturating_add(nodes);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn normal_documents_are_not_scanned() {
        let doc = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {app: a}\nspec:\n  containers:\n  - name: c\n    ports: [{containerPort: 80}]\n";
        let b = Bounds::of(doc);
        assert!(b.flow_openers + b.block_depth <= 128, "{b:?}");
        assert_eq!(check(doc, &limits()), Ok(()));
    }

    #[test]
    fn json_is_measured_exactly() {
        // A kubectl `-o json` object: many brackets, shallow, `&`, `*` and brackets in strings.
        let item = r#"{"kind": "Pod", "metadata": {"name": "a", "annotations": {"s": "{\"a\":[1]} &x *x ]]]"}}, "spec": {"containers": [{"ports": [{"containerPort": 80}]}]}}"#;
        let list = format!("{{\"kind\": \"List\", \"items\": [{}]}}", vec![item; 200].join(", "));
        let json = Json::of(&list).unwrap();
        assert_eq!(json.depth, 8, "{json:?}");
        assert_eq!(check(&list, &limits()), Ok(()));
        // Deep JSON is refused; closing brackets in a string do not hide the depth.
        let n = 200_000;
        let deep = format!("{{\"a\": \"]]]]\", \"b\": {}{}}}", "[".repeat(n), "]".repeat(n));
        assert_eq!(Json::of(&deep).map(|j| j.depth), Some(n as u64 + 1));
        assert!(check(&deep, &limits()).is_err());
        // Not plainly JSON: a quote inside a plain scalar, a plain key, single quotes, comments.
        for text in [r#"[a"]]]", [[[1]]]]"#, r#"{a: "x"}"#, "['}}}', [1]]", "[1, # ]]\n 2]"] {
            assert!(Json::of(text).is_none(), "{text}");
        }
    }

    #[test]
    fn deep_flow_nesting_is_refused_where_it_passes_the_limit() {
        let n = 200_000;
        let doc = format!("x: {}{}\n", "[".repeat(n), "]".repeat(n));
        let err = check(&doc, &limits()).unwrap_err();
        // Found by the parser's read-ahead, a little past the limit.
        assert_eq!(err.pos, Some((1, 259)), "{err:?}");
        assert!(err.message.contains("128"), "{err:?}");
        // Unclosed, and as maps.
        assert!(check(&format!("x: {}\n", "[".repeat(n)), &limits()).is_err());
        assert!(check(&format!("x: {}1{}\n", "{a: ".repeat(n), "}".repeat(n)), &limits()).is_err());
        // 100 levels are fine (the document's own map is one).
        assert_eq!(
            check(&format!("x: {}{}\n", "[".repeat(99), "]".repeat(99)), &limits()),
            Ok(())
        );
    }

    #[test]
    fn deep_block_nesting_is_refused() {
        let doc = format!("x:\n{}a\n", "- ".repeat(500));
        assert!(check(&doc, &limits()).is_err());
        let mut indented = String::new();
        for i in 0..200 {
            indented.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        indented.push_str(&format!("{}v\n", " ".repeat(200)));
        assert!(check(&indented, &limits()).is_err());
    }

    #[test]
    fn billion_laughs_is_measured_not_expanded() {
        let mut doc = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            doc.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 9].join(", ")));
        }
        let err = check(&doc, &limits()).unwrap_err();
        assert!(err.message.contains("billion laughs"), "{err:?}");
        // A few merge keys are fine.
        let merge = "base: &b {a: 1, b: 2}\nx: {<<: *b, c: 3}\ny: {<<: *b}\n";
        assert_eq!(check(merge, &limits()), Ok(()));
    }

    #[test]
    fn long_strings_are_refused() {
        let small = Limits {
            max_string_bytes: 10,
            ..Limits::default()
        };
        let err = check("a: b\nk: 01234567890123\n", &small).unwrap_err();
        assert_eq!(err.pos, Some((2, 4)));
        assert_eq!(check("a: 0123456789\n", &small), Ok(()));
    }
}
