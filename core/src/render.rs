//! Render: text for people (tables, prose, the tour), CSV and Markdown for tools.

use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, Severity};
use crate::evaluate::{Outcome, Verdict};
use crate::matrix::{Edge, Matrix};
use crate::seed::Tour;

/// ANSI colour, used only when the caller says the output is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn verdict(self, verdict: Verdict, text: &str) -> String {
        match verdict {
            Verdict::Ok => self.paint("32", text),
            Verdict::Fail => self.paint("1;31", text),
        }
    }

    fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

fn transport_text(edge: &Edge) -> String {
    match (edge.transport, edge.curl_exit) {
        (Some(t), 0) => t.as_str().to_owned(),
        (Some(t), exit) => format!("{}, curl exit {exit}", t.as_str()),
        (None, 0) => "-".to_owned(),
        (None, exit) => format!("curl exit {exit}"),
    }
}

/// `sleep.foo to httpbin.foo: 200`, the guide's loop line, then the transport.
pub fn guide_line(outcome: &Outcome, host_label: &str, style: Style) -> String {
    let client = format!("{}.{}", outcome.from.name, outcome.from.namespace);
    let edge = Edge::from(outcome.clone());
    let detail = match outcome.verdict {
        Verdict::Ok => transport_text(&edge),
        Verdict::Fail if outcome.curl_exit == 56 => {
            "plaintext, connection reset by the server's sidecar, curl exit 56".to_owned()
        }
        Verdict::Fail => format!("{}: {}", transport_text(&edge), outcome.reason),
    };
    format!(
        "{client} to {host_label}: {}   {}",
        style.verdict(outcome.verdict, &outcome.status.to_string()),
        style.dim(&format!("({detail})"))
    )
}

pub fn tour(tour: &Tour, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(&format!("meshlock tour: {}", tour.title)));
    let _ = writeln!(
        out,
        "{}",
        style.dim("built-in cluster: httpbin and sleep with sidecars in foo and bar, sleep without one in legacy")
    );
    for step in &tour.steps {
        let _ = writeln!(out, "\n{}", style.bold(&format!("Step {}: {}", step.id, step.title)));
        for source in &step.applied {
            let ns = source
                .namespace
                .as_deref()
                .map(|n| format!(" -n {n}"))
                .unwrap_or_default();
            let _ = writeln!(out, "$ cat <<EOF | istioctl create{ns} -f -");
            let _ = write!(out, "{}", indent(&source.text, ""));
            let _ = writeln!(out, "EOF");
        }
        if !step.published_diagnostics.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                style.paint(
                    "33",
                    "note: the guide publishes this manifest with `peers:` indented under the target; meshlock says:"
                )
            );
            for d in &step.published_diagnostics {
                let _ = write!(out, "{}", indent(&d.to_string(), "  "));
            }
            let _ = writeln!(
                out,
                "{}",
                style.paint("33", "the tour applies the intended manifest shown above.")
            );
        }
        if let Some(note) = step.note {
            let _ = writeln!(out, "{}", style.dim(&format!("# {note}")));
        }
        for row in &step.rows {
            let mut line = guide_line(&row.outcome, "httpbin.foo", style);
            if let Some(printed) = row.guide_prints {
                let _ = write!(
                    line,
                    "  {}",
                    style.paint(
                        "33",
                        &format!(
                            "note: the guide prints {printed}; a client without a sidecar sees the reset, not a 503"
                        )
                    )
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// The decision chain in prose, resource by resource.
pub fn explain(outcome: &Outcome, style: Style) -> String {
    let mut out = String::new();
    let verdict = match outcome.verdict {
        Verdict::Ok => "ok",
        Verdict::Fail => "fail",
    };
    let edge = Edge::from(outcome.clone());
    let _ = writeln!(
        out,
        "{} → {}: {} ({}) {} [{}]",
        outcome.from,
        outcome.to,
        style.verdict(outcome.verdict, &outcome.status.to_string()),
        transport_text(&edge),
        style.verdict(outcome.verdict, verdict),
        outcome.reason
    );
    for step in &outcome.explain {
        let who = step.resource.as_deref().map(|r| format!("{r}: ")).unwrap_or_default();
        let _ = writeln!(out, "  {:<8} {who}{}", step.side.as_str(), step.text);
    }
    for alt in &outcome.alternatives {
        let ids: Vec<String> = alt.endpoints.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  endpoints {}: {} [{}]", ids.join(", "), alt.status, alt.reason);
    }
    out
}

fn rows(matrix: &Matrix) -> impl Iterator<Item = [String; 6]> + '_ {
    matrix.edges.iter().map(|e| {
        [
            e.from.to_string(),
            e.to.clone(),
            e.status.to_string(),
            e.transport.map_or("-", |t| t.as_str()).to_owned(),
            if e.verdict == Verdict::Ok { "ok" } else { "fail" }.to_owned(),
            e.reason.as_str().to_owned(),
        ]
    })
}

const HEADER: [&str; 6] = ["FROM", "TO", "STATUS", "TRANSPORT", "VERDICT", "REASON"];

/// A fixed-width table, one row per edge.
pub fn matrix_table(matrix: &Matrix, style: Style) -> String {
    let all: Vec<[String; 6]> = rows(matrix).collect();
    let mut widths = HEADER.map(str::len);
    for row in &all {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String, fail: bool| {
        let text: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let text = text.join("  ").trim_end().to_owned();
        let _ = writeln!(out, "{}", if fail { style.paint("31", &text) } else { text });
    };
    line(&HEADER.map(str::to_owned), &mut out, false);
    for row in &all {
        line(row, &mut out, row[4] == "fail");
    }
    let failing = matrix.edges.iter().filter(|e| e.verdict == Verdict::Fail).count();
    let _ = writeln!(out, "{} edges, {failing} failing", matrix.edges.len());
    out
}

pub fn matrix_csv(matrix: &Matrix) -> String {
    let mut out = String::from("from,to,status,curl_exit,transport,verdict,reason\n");
    for e in &matrix.edges {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            e.from,
            e.to,
            e.status,
            e.curl_exit,
            e.transport.map_or("", |t| t.as_str()),
            if e.verdict == Verdict::Ok { "ok" } else { "fail" },
            e.reason
        );
    }
    out
}

pub fn matrix_markdown(matrix: &Matrix) -> String {
    let mut out = format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len()));
    for row in rows(matrix) {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

pub fn diagnostics(diags: &[Diagnostic], min: Severity) -> String {
    diags
        .iter()
        .filter(|d| d.severity >= min)
        .map(|d| format!("{d}\n"))
        .collect()
}
