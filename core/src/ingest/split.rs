//! Splitting a YAML stream into documents, keeping each document's first line for locations.
//!
//! A line that starts with `---` or `...` (then a space or the line end) always ends a document:
//! YAML forbids such a line inside any scalar (`c-forbidden`), so a line scan is exact.

use crate::diagnostic::{Code, Diagnostic};

/// Largest source meshlock reads: far above a 50,000-pod dump, far below what would exhaust memory.
pub const MAX_SOURCE_BYTES: usize = 1 << 30;

#[derive(Debug, PartialEq, Eq)]
pub struct Document<'a> {
    pub text: &'a str,
    /// 1-based line of `text`'s first line in the source.
    pub first_line: usize,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Documents with content; empty ones (only blanks and comments) are skipped as Kubernetes does.
pub fn split(text: &str) -> Result<Vec<Document<'_>>, Box<Diagnostic>> {
    if text.len() > MAX_SOURCE_BYTES {
        return Err(Box::new(
            Diagnostic::error(
                Code::InputLimit,
                format!(
                    "source is {} bytes; meshlock reads at most {MAX_SOURCE_BYTES}",
                    text.len()
                ),
            )
            .with_help("split the input into several files"),
        ));
    }
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
    Ok(docs)
}

fn push<'a>(docs: &mut Vec<Document<'a>>, text: &'a str, first_line: usize) {
    let has_content = text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    if has_content {
        docs.push(Document { text, first_line });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_markers_and_keeps_lines() {
        let text = "# header\n---\na: 1\n---\n\n--- {b: 2}\n...\nc: |\n  ---x\n";
        let docs = split(text).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[0],
            Document {
                text: "a: 1\n",
                first_line: 3
            }
        );
        assert_eq!(docs[1].first_line, 6);
        assert!(docs[1].text.contains("{b: 2}"));
        assert_eq!(
            docs[2],
            Document {
                text: "c: |\n  ---x\n",
                first_line: 8
            }
        );
    }
}
