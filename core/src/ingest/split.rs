//! Splitting a YAML stream into documents, keeping each document's first line for locations.
//!
//! A line that starts with `---` or `...` (then a space or the line end) always ends a document:
//! YAML forbids such a line inside any scalar (`c-forbidden`), so a line scan is exact.

use saphyr_parser::{Event, Parser, Span};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    /// Borrowed for a whole document; owned for a `kind: List` item (indented to its column).
    pub text: Cow<'a, str>,
    /// 1-based line of `text`'s first line in the source.
    pub first_line: usize,
}

impl Document<'_> {
    /// 1-based line and column of the document's first content (its first key, or the `{` of a
    /// JSON object), past blank and comment lines: where findings about its resource point.
    /// A line scan, not a parse, so every resource can carry it at no real cost.
    pub fn start(&self) -> (usize, usize) {
        for (i, line) in self.text.lines().enumerate() {
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let column = line.chars().count() - content.chars().count() + 1;
            // A `kind: List` item is padded to its column, so this is its first key.
            return (self.first_line + i, column);
        }
        (self.first_line, 1)
    }
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Documents with content; empty ones (only blanks and comments) are skipped as Kubernetes does.
/// Limits are checked before (`ingest::limits`).
pub fn split(text: &str) -> Vec<Document<'_>> {
    // A byte order mark (a file read by a binding as is) is not content.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut first_line = 1usize;
    let mut offset = 0usize;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let line_number = number + 1;
        let ends = is_marker(line, "---") || is_marker(line, "...");
        if ends {
            push(&mut docs, text.get(start..offset).unwrap_or_default(), first_line);
            // Content after `--- ` on the marker line belongs to the next document; it is kept
            // in place by starting the document at the marker line with the marker blanked out.
            start = offset + line.len();
            first_line = line_number + 1;
            let rest = line.get(3..).unwrap_or_default();
            if line.starts_with("---") && !rest.trim().is_empty() && !rest.trim_start().starts_with('#') {
                start = offset + 3;
                first_line = line_number;
            }
        }
        offset += line.len();
    }
    push(&mut docs, text.get(start..).unwrap_or_default(), first_line);
    docs
}

fn push<'a>(docs: &mut Vec<Document<'a>>, text: &'a str, first_line: usize) {
    let mut content = text
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with('#'));
    let first = content.next();
    // A document that is only `null` is skipped too, as kubectl skips it.
    let null = first.is_some_and(|t| {
        let value = t.split(" #").next().unwrap_or(t).trim_end();
        matches!(value, "null" | "Null" | "NULL" | "~")
    }) && content.next().is_none();
    if first.is_some() && !null {
        docs.push(Document {
            text: Cow::Borrowed(text),
            first_line,
        });
    }
}

/// The items of a `kind: List` document, each as its own document: the text slice of the item,
/// indented to its original column so that lines and columns of diagnostics stay exact. Items are
/// found with the event parser's spans, so no generic tree of the whole list is built.
pub fn list_items(doc: &Document<'_>) -> Result<Vec<Document<'static>>, &'static str> {
    let text = doc.text.as_ref();
    // The parser repeats its error forever: the events end at the first one.
    let mut events = Parser::new_from_str(text).map_while(Result::ok);
    let mut offsets = ByteOffsets::new(text);
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut in_items = false;
    while let Some((event, span)) = events.next() {
        match event {
            Event::MappingStart(..) if depth == 0 => {
                depth = 1;
                expect_key = true;
            }
            Event::Scalar(key, ..) if depth == 1 && expect_key => {
                in_items = key == "items";
                expect_key = false;
                if !in_items {
                    skip_node(&mut events);
                    expect_key = true;
                }
            }
            Event::SequenceStart(..) if depth == 1 && in_items => {
                while let Some((first, start)) = events.next() {
                    if matches!(first, Event::SequenceEnd) {
                        break;
                    }
                    let end = node_end(&mut events, &first, start);
                    items.push(slice(doc, &mut offsets, start, end));
                }
                in_items = false;
                expect_key = true;
            }
            Event::MappingEnd if depth == 1 => break,
            Event::Scalar(value, ..) if depth == 1 && in_items => {
                // `items:` with no value (or `null`) is an empty list; anything else is not a list.
                if !matches!(value.as_ref(), "" | "~" | "null") {
                    return Err("`items` must be a list of objects");
                }
                in_items = false;
                expect_key = true;
            }
            Event::MappingStart(..) if depth == 1 && in_items => return Err("`items` must be a list of objects"),
            // Items are read one by one from their text, so `items: *anchor` cannot be expanded.
            Event::Alias(_) if depth == 1 && in_items => return Err("`items` is an alias: write the list out"),
            _ => {}
        }
        let _ = span;
    }
    Ok(items)
}

/// The items of `doc` when it is plainly a `kind: List`, found in one pass instead of decoding the
/// whole list first (a typed decode of a 100 MB list holds every event of it, ten times its size).
/// `None` when it is not a List, or not plainly one (a parse error, a duplicate or tagged
/// `kind`/`apiVersion`, an odd key): the caller then decodes the document as any other, so those
/// are reported as before.
pub fn list_scan(doc: &Document<'_>) -> Option<Result<Vec<Document<'static>>, &'static str>> {
    let text = doc.text.as_ref();
    if !text.contains("List") {
        return None;
    }
    // Native only: serde_json's borrowed slices would grow the browser's module past its budget.
    #[cfg(not(target_arch = "wasm32"))]
    if text.trim_start().starts_with('{')
        && let Some(found) = json_list(doc)
    {
        return Some(Ok(found));
    }
    yaml_list(doc)
}

#[cfg(not(target_arch = "wasm32"))]
/// A `kubectl get -o json` list: its items are sliced with serde_json, ten times faster than an
/// event parse. Any other JSON shape is left to the YAML path, which reports it.
fn json_list(doc: &Document<'_>) -> Option<Vec<Document<'static>>> {
    #[derive(serde::Deserialize)]
    struct List<'t> {
        kind: String,
        #[serde(rename = "apiVersion")]
        _api_version: Option<String>,
        #[serde(borrow)]
        items: Option<Vec<&'t serde_json::value::RawValue>>,
    }
    let text = doc.text.as_ref();
    let list: List<'_> = serde_json::from_str(text).ok()?;
    if list.kind != "List" {
        return None;
    }
    let base = text.as_ptr() as usize;
    let mut cursor = LineCursor::default();
    let mut items = Vec::new();
    for raw in list.items.unwrap_or_default() {
        let body = raw.get();
        if !body.starts_with('{') {
            return None;
        }
        let (line, column) = cursor.advance(text, (body.as_ptr() as usize).checked_sub(base)?)?;
        items.push(Document {
            text: Cow::Owned(format!("{}{body}", " ".repeat(column))),
            first_line: doc.first_line + line,
        });
    }
    Some(items)
}

/// Line (0-based) and character column of byte offsets given in increasing order.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
struct LineCursor {
    at: usize,
    line: usize,
    line_start: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl LineCursor {
    fn advance(&mut self, text: &str, offset: usize) -> Option<(usize, usize)> {
        let passed = text.get(self.at..offset)?;
        if let Some(last) = passed.rfind('\n') {
            self.line += passed.bytes().filter(|&b| b == b'\n').count();
            self.line_start = self.at + last + 1;
        }
        self.at = offset;
        Some((self.line, text.get(self.line_start..offset)?.chars().count()))
    }
}

/// The YAML twin of [`json_list`], on the event parser's spans.
fn yaml_list(doc: &Document<'_>) -> Option<Result<Vec<Document<'static>>, &'static str>> {
    let text = doc.text.as_ref();
    let mut events = Clean {
        events: Parser::new_from_str(text),
        failed: false,
    };
    let mut offsets = ByteOffsets::new(text);
    loop {
        match events.next()?.0 {
            Event::StreamStart | Event::DocumentStart(_) => {}
            Event::MappingStart(_, None) => break,
            _ => return None,
        }
    }
    let mut kind = None;
    let mut api_version = false;
    let mut items = None;
    loop {
        let (event, _) = events.next()?;
        let Event::Scalar(key, _, _, None) = event else {
            if matches!(event, Event::MappingEnd) {
                break;
            }
            return None;
        };
        match key.as_ref() {
            "kind" | "apiVersion" => {
                let (Event::Scalar(value, _, _, None), _) = events.next()? else {
                    return None;
                };
                let seen = if key == "kind" {
                    kind.replace(value).is_some()
                } else {
                    std::mem::replace(&mut api_version, true)
                };
                if seen {
                    return None;
                }
            }
            "items" if items.is_none() => {
                let (first, start) = events.next()?;
                items = Some(match first {
                    Event::SequenceStart(..) => {
                        let mut found = Vec::new();
                        while let Some((first, start)) = events.next() {
                            if matches!(first, Event::SequenceEnd) {
                                break;
                            }
                            let end = node_end(&mut events, &first, start);
                            found.push(slice(doc, &mut offsets, start, end));
                        }
                        Ok(found)
                    }
                    // `items:` with no value (or `null`) is an empty list; anything else is not a list.
                    Event::Scalar(value, ..) if matches!(value.as_ref(), "" | "~" | "null") => Ok(Vec::new()),
                    // Items are read one by one from their text, so `items: *anchor` cannot be expanded.
                    Event::Alias(_) => Err("`items` is an alias: write the list out"),
                    _ => {
                        node_end(&mut events, &first, start);
                        Err("`items` must be a list of objects")
                    }
                });
            }
            "items" => return None,
            _ => skip_node(&mut events),
        }
    }
    // Anything after the mapping, or a parse error anywhere, is for the full decode to report.
    for (event, _) in events.by_ref() {
        if !matches!(event, Event::DocumentEnd | Event::StreamEnd) {
            return None;
        }
    }
    if events.failed || kind.as_deref() != Some("List") {
        return None;
    }
    Some(items.unwrap_or(Ok(Vec::new())))
}

/// The parser's events up to its first error, which is remembered.
struct Clean<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    failed: bool,
}

impl<'a> Iterator for Clean<'a> {
    type Item = (Event<'a>, Span);

    fn next(&mut self) -> Option<Self::Item> {
        match self.events.next()? {
            Ok(event) => Some(event),
            Err(_) => {
                self.failed = true;
                None
            }
        }
    }
}

/// Consumes one whole node (the next one) from the events.
fn skip_node<'a>(events: &mut impl Iterator<Item = (Event<'a>, Span)>) {
    if let Some((first, span)) = events.next() {
        node_end(events, &first, span);
    }
}

/// Consumes the rest of a node that began with `first`; returns where it ends.
fn node_end<'a>(events: &mut impl Iterator<Item = (Event<'a>, Span)>, first: &Event<'a>, start: Span) -> Span {
    let mut depth = match first {
        Event::MappingStart(..) | Event::SequenceStart(..) => 1usize,
        _ => return start,
    };
    let mut last = start;
    while depth > 0 {
        let Some((event, span)) = events.next() else { break };
        last = span;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
    }
    last
}

/// Maps the parser's character offsets to byte offsets. Items come in order, so the cursor only
/// moves forward: one pass over the document in all, not one per item.
struct ByteOffsets<'t> {
    text: &'t str,
    ascii: bool,
    chars: std::str::CharIndices<'t>,
    /// (character offset, byte offset) of the cursor.
    at: (usize, usize),
}

impl<'t> ByteOffsets<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            ascii: text.is_ascii(),
            chars: text.char_indices(),
            at: (0, 0),
        }
    }

    fn byte(&mut self, char_offset: usize) -> usize {
        if self.ascii {
            return char_offset.min(self.text.len());
        }
        if char_offset < self.at.0 {
            // Never happens for items in order; restart rather than guess.
            self.chars = self.text.char_indices();
            self.at = (0, 0);
        }
        while self.at.0 < char_offset {
            match self.chars.next() {
                Some((byte, c)) => self.at = (self.at.0 + 1, byte + c.len_utf8()),
                None => return self.text.len(),
            }
        }
        self.at.1
    }
}

/// The item's text, from its first token to the end of its last, padded to its column.
fn slice(doc: &Document<'_>, offsets: &mut ByteOffsets<'_>, start: Span, end: Span) -> Document<'static> {
    let from = offsets.byte(start.start.index());
    let to = offsets.byte(end.end.index().max(end.start.index()));
    let body = doc.text.get(from..to.max(from)).unwrap_or_default();
    let padded = format!("{}{}", " ".repeat(start.start.col()), body.trim_end());
    Document {
        text: Cow::Owned(padded),
        first_line: doc.first_line + start.start.line() - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_markers_and_keeps_lines() {
        let text = "# header\n---\na: 1\n---\n\n--- {b: 2}\n...\nc: |\n  ---x\n";
        let docs = split(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[0],
            Document {
                text: "a: 1\n".into(),
                first_line: 3
            }
        );
        assert_eq!(docs[1].first_line, 6);
        assert!(docs[1].text.contains("{b: 2}"));
        assert_eq!(
            docs[2],
            Document {
                text: "c: |\n  ---x\n".into(),
                first_line: 8
            }
        );
    }

    #[test]
    fn list_items_after_non_ascii_text_slice_on_char_boundaries() {
        let text = "kind: List\nmetadata: {annotations: {note: \"café ✓\"}}\nitems:\n- {kind: Namespace, metadata: {name: é}}\n- {kind: Namespace, metadata: {name: b}}\n";
        let items = list_items(&Document {
            text: text.into(),
            first_line: 1,
        })
        .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text.trim(), "{kind: Namespace, metadata: {name: é}}");
        assert_eq!(items[1].text.trim(), "{kind: Namespace, metadata: {name: b}}");
        assert_eq!(items[1].first_line, 5);
    }

    #[test]
    fn list_items_keep_their_lines_and_columns() {
        let text = "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n";
        let doc = Document {
            text: text.into(),
            first_line: 10,
        };
        let items = list_items(&doc).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].first_line, 14);
        assert!(
            items[0].text.starts_with("  apiVersion: v1\n  kind: Namespace"),
            "{:?}",
            items[0].text
        );
        assert_eq!(items[1].first_line, 18);
        assert!(
            items[1].text.trim_start().starts_with("{apiVersion"),
            "{:?}",
            items[1].text
        );
        // Where findings about each item point: its first key (past `- `), or its `{`.
        assert_eq!(items[0].start(), (14, 3));
        assert_eq!(items[1].start(), (18, 3));
        assert_eq!(doc.start(), (10, 1));
    }

    #[test]
    fn a_document_starts_at_its_first_content_line() {
        let docs = split("# header\n---\n\n  # note\n  a: 1\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].start(), (5, 3));
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    fn doc(text: &str) -> Document<'_> {
        Document {
            text: text.into(),
            first_line: 7,
        }
    }

    #[test]
    fn json_and_yaml_scans_cut_the_same_items() {
        let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Namespace\", \"metadata\": {\"name\": \"é\"}},\n    {\n      \"kind\": \"Namespace\"\n    }\n  ]\n}\n";
        let json = json_list(&doc(text)).unwrap();
        let yaml = yaml_list(&doc(text)).unwrap().unwrap();
        assert_eq!(json, yaml);
        assert_eq!(json, list_items(&doc(text)).unwrap());
        assert_eq!(json.len(), 2);
        assert_eq!(json[1].first_line, 12);
    }

    #[test]
    fn only_a_plain_list_is_scanned() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- {kind: Namespace}\n";
        assert_eq!(list_scan(&doc(list)).unwrap().unwrap().len(), 1);
        for not_plain in [
            "kind: List\nkind: List\nitems: []\n",
            "kind: !!str List\nitems: []\n",
            "kind: List\napiVersion: [v1]\nitems: []\n",
            "kind: List\nitems: []\nitems: []\n",
            "kind: List\nitems:\n- {a: [}\n",
            "kind: PodList\nitems: []\n",
            "[kind, List]\n",
        ] {
            assert!(list_scan(&doc(not_plain)).is_none(), "{not_plain}");
        }
        assert_eq!(
            list_scan(&doc("kind: List\nitems: {a: 1}\n")),
            Some(Err("`items` must be a list of objects"))
        );
        assert_eq!(list_scan(&doc("kind: List\nitems:\n")), Some(Ok(Vec::new())));
    }
}
