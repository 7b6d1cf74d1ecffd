//! YAML paths (`spec.targets[0].peers`) and their line/column in a document.
//!
//! Typed decoding through serde loses positions, so a position is looked up only when a
//! diagnostic needs one: the document is re-scanned with `saphyr-parser`, which reports a span for
//! every event, and the walk stops at the first match.

use saphyr_parser::{Event, Parser, Span};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Segment>);

impl YamlPath {
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Segment::Key(key.into()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    pub fn join(mut self, other: &YamlPath) -> Self {
        self.0.extend(other.0.iter().cloned());
        self
    }

    pub fn starts_with_key(&self, key: &str) -> bool {
        matches!(self.0.first(), Some(Segment::Key(k)) if k == key)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn from_ignored(path: &serde_ignored::Path<'_>) -> Self {
        use serde_ignored::Path as P;
        match path {
            P::Root => YamlPath::default(),
            P::Seq { parent, index } => Self::from_ignored(parent).index(*index),
            P::Map { parent, key } => Self::from_ignored(parent).key(key.clone()),
            P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
                Self::from_ignored(parent)
            }
        }
    }

    /// Reads `spec.targets[0].peers` (yaml_serde's form of a path).
    pub fn parse(text: &str) -> Self {
        let mut out = YamlPath::default();
        for part in text.split('.') {
            let mut pieces = part.split('[');
            if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
                out = out.key(key);
            }
            for index in pieces {
                match index.trim_end_matches(']').parse::<usize>() {
                    Ok(i) => out = out.index(i),
                    Err(_) => out = out.key(index),
                }
            }
        }
        out
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based line and column of `path` in `text`: the key for a mapping entry, the item for a
/// sequence element. `None` when the path is not in the text (or the text does not parse).
pub fn locate(text: &str, path: &YamlPath) -> Option<(usize, usize)> {
    // The parser repeats its error forever: the events end at the first one.
    let mut events = Parser::new_from_str(text).map_while(Result::ok);
    // Skip to the document's root node.
    loop {
        match events.next()? {
            (Event::StreamStart | Event::DocumentStart(_), _) => {}
            first => return find(&mut events, first, path.segments()),
        }
    }
}

fn position(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// Looks for `path` inside the node that starts with `first`.
fn find<'a>(
    events: &mut impl Iterator<Item = (Event<'a>, Span)>,
    first: (Event<'a>, Span),
    path: &[Segment],
) -> Option<(usize, usize)> {
    let Some((segment, rest)) = path.split_first() else {
        return Some(position(&first.1));
    };
    match (first.0, segment) {
        (Event::MappingStart(..), Segment::Key(wanted)) => loop {
            let key = events.next()?;
            let matched = match &key.0 {
                Event::MappingEnd => return None,
                Event::Scalar(value, ..) => value.as_ref() == wanted.as_str(),
                _ => {
                    skip_rest(events, &key.0)?;
                    false
                }
            };
            let value = events.next()?;
            if matched {
                return if rest.is_empty() {
                    Some(position(&key.1))
                } else {
                    find(events, value, rest)
                };
            }
            skip_rest(events, &value.0)?;
        },
        (Event::SequenceStart(..), Segment::Index(wanted)) => {
            let mut index = 0;
            loop {
                let item = events.next()?;
                if matches!(item.0, Event::SequenceEnd) {
                    return None;
                }
                if index == *wanted {
                    return find(events, item, rest);
                }
                skip_rest(events, &item.0)?;
                index += 1;
            }
        }
        _ => None,
    }
}

/// Consumes the rest of a node whose first event was `first`.
fn skip_rest<'a>(events: &mut impl Iterator<Item = (Event<'a>, Span)>, first: &Event<'a>) -> Option<()> {
    let mut depth = match first {
        Event::MappingStart(..) | Event::SequenceStart(..) => 1usize,
        _ => return Some(()),
    };
    while depth > 0 {
        match events.next()?.0 {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_ends_the_search() {
        // The parser returns its error again and again: skipping errors never ended (found by the
        // hostile corpus, `tests/hostile/cases/json-trailing-garbage.json`).
        assert_eq!(
            locate("{\"kind\": \"Service\"} }\n", &YamlPath::default().key("x")),
            None
        );
        let doc = super::super::split::Document {
            text: "kind: List\nitems:\n- a\n} }\n".into(),
            first_line: 1,
        };
        let _ = super::super::split::list_items(&doc);
    }

    const SEED_POLICY: &str = "apiVersion: \"authentication.istio.io/v1alpha1\"
kind: \"Policy\"
metadata:
  name: \"example-httpbin-permissive\"
  namespace: foo
spec:
  targets:
  - name: httpbin
    peers:
  - mtls:
      mode: PERMISSIVE
";

    #[test]
    fn finds_keys_and_items() {
        let peers = YamlPath::default().key("spec").key("targets").index(0).key("peers");
        assert_eq!(peers.to_string(), "spec.targets[0].peers");
        assert_eq!(YamlPath::parse("spec.targets[0].peers"), peers);
        assert_eq!(locate(SEED_POLICY, &peers), Some((9, 5)));
        let second = YamlPath::default().key("spec").key("targets").index(1);
        assert_eq!(locate(SEED_POLICY, &second), Some((10, 5)));
        assert_eq!(locate(SEED_POLICY, &YamlPath::default().key("nope")), None);
    }
}
