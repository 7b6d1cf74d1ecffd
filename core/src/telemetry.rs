//! Istio telemetry (`istio_requests_total`, `istio_tcp_connections_opened_total`): what was observed,
//! read strictly. `observe` reconciles it with the model; the planner reads plaintext senders from it.
//!
//! Input: the Prometheus text exposition format, or the Prometheus HTTP API JSON (`vector` and
//! `matrix` results). The text parser is meshlock's own, strict one: the crates available either
//! skip lines they cannot read (`prometheus-parse`), which would accept partial data silently, or
//! are LGPL-licensed (`openmetrics-parser`). Every line is either read or reported with its
//! position; the JSON goes through serde.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic, Location};

const METRICS: [&str; 2] = ["istio_requests_total", "istio_tcp_connections_opened_total"];

/// `connection_security_policy` as the reporter saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    MutualTls,
    None,
    /// Reported by the source proxy, which cannot know.
    Unknown,
}

/// One series: who called which service, how, and how much.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub metric: String,
    pub reporter: String,
    pub source_workload: String,
    pub source_namespace: String,
    pub source_principal: String,
    pub destination_service: String,
    pub security: Security,
    pub value: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Observations {
    pub samples: Vec<Sample>,
}

/// Malformed metrics: every problem, with its line (text) or path (JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the metrics input is malformed ({} problem(s)); nothing was read", .diagnostics.len())]
pub struct MetricsError {
    pub diagnostics: Vec<Diagnostic>,
}

fn problem(source: &str, line: Option<usize>, column: Option<usize>, message: String) -> Diagnostic {
    Diagnostic::error(Code::InvalidValue, message)
        .with_help("metrics must be Prometheus text exposition or the JSON of /api/v1/query or /api/v1/query_range")
        .at(Location {
            source: source.to_owned(),
            document: None,
            path: None,
            line,
            column,
        })
}

impl Observations {
    /// Reads text exposition or API JSON (detected by the first character); all or nothing.
    pub fn parse(source: &str, text: &str) -> Result<Self, MetricsError> {
        let parsed = if text.trim_start().starts_with('{') {
            parse_json(source, text)
        } else {
            parse_text(source, text)
        };
        let samples = parsed.map_err(|diagnostics| MetricsError { diagnostics })?;
        Ok(Self {
            samples: samples
                .into_iter()
                .filter(|s| METRICS.contains(&s.metric.as_str()))
                .collect(),
        })
    }
}

fn sample_from(metric: &str, labels: &BTreeMap<String, String>, value: f64) -> Result<Sample, String> {
    let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
    let security = match labels.get("connection_security_policy").map(String::as_str) {
        Some("mutual_tls") => Security::MutualTls,
        Some("none") => Security::None,
        Some("unknown") | None => Security::Unknown,
        Some(other) => {
            return Err(format!(
                "connection_security_policy `{other}` is not mutual_tls, none or unknown"
            ));
        }
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("value `{value}` is not a count"));
    }
    Ok(Sample {
        metric: metric.to_owned(),
        reporter: get("reporter"),
        source_workload: get("source_workload"),
        source_namespace: get("source_workload_namespace"),
        source_principal: get("source_principal"),
        destination_service: get("destination_service"),
        security,
        value,
    })
}

fn parse_text(source: &str, text: &str) -> Result<Vec<Sample>, Vec<Diagnostic>> {
    let mut samples = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_sample_line(trimmed)
            .and_then(|(metric, labels, value)| sample_from(&metric, &labels, value).map_err(|e| (0, e)))
        {
            Ok(sample) => samples.push(sample),
            Err((column, message)) => {
                let indent = line.len() - line.trim_start().len();
                problems.push(problem(source, Some(i + 1), Some(indent + column + 1), message));
            }
        }
    }
    if problems.is_empty() {
        Ok(samples)
    } else {
        Err(problems)
    }
}

type Labels = BTreeMap<String, String>;

/// `name{label="value",…} value [timestamp]`; errors carry the 0-based column.
fn parse_sample_line(line: &str) -> Result<(String, Labels, f64), (usize, String)> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = line.get(..name_end).unwrap_or_default();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err((0, "expected a metric name".to_owned()));
    }
    let mut rest = line.get(name_end..).unwrap_or_default();
    let mut labels = Labels::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, consumed) = parse_labels(inner).map_err(|(col, e)| (name_end + 1 + col, e))?;
        labels = parsed;
        rest = inner.get(consumed..).unwrap_or_default();
    }
    let offset = line.len() - rest.len();
    let mut fields = rest.split_whitespace();
    let value = fields
        .next()
        .ok_or((offset, "expected a value after the labels".to_owned()))?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v
            .parse::<f64>()
            .map_err(|_| (offset, format!("`{v}` is not a number")))?,
    };
    if let Some(ts) = fields.next()
        && ts.parse::<i64>().is_err()
    {
        return Err((offset, format!("`{ts}` is not a timestamp in milliseconds")));
    }
    if fields.next().is_some() {
        return Err((offset, "unexpected text after the timestamp".to_owned()));
    }
    Ok((name.to_owned(), labels, value))
}

/// Reads `label="value",…}`: returns the labels and the bytes consumed (after the `}`).
fn parse_labels(text: &str) -> Result<(Labels, usize), (usize, String)> {
    let mut labels = Labels::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map_or(text.len(), |(pos, _)| *pos);
    loop {
        while chars.get(i).is_some_and(|(_, c)| c.is_whitespace() || *c == ',') {
            i += 1;
        }
        match chars.get(i) {
            Some((pos, '}')) => return Ok((labels, pos + 1)),
            None => return Err((text.len(), "labels are not closed with `}`".to_owned())),
            _ => {}
        }
        let start = i;
        while chars
            .get(i)
            .is_some_and(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        {
            i += 1;
        }
        let key = text.get(at(start)..at(i)).unwrap_or_default().to_owned();
        if key.is_empty()
            || chars.get(i).map(|(_, c)| *c) != Some('=')
            || chars.get(i + 1).map(|(_, c)| *c) != Some('"')
        {
            return Err((at(start), "expected `label=\"value\"`".to_owned()));
        }
        i += 2;
        let mut value = String::new();
        loop {
            match chars.get(i) {
                None => return Err((at(start), format!("the value of `{key}` is not closed with `\"`"))),
                Some((_, '"')) => break,
                Some((_, '\\')) => {
                    match chars.get(i + 1).map(|(_, c)| *c) {
                        Some('n') => value.push('\n'),
                        Some(c @ ('\\' | '"')) => value.push(c),
                        _ => return Err((at(i), "bad escape in a label value".to_owned())),
                    }
                    i += 2;
                }
                Some((_, c)) => {
                    value.push(*c);
                    i += 1;
                }
            }
        }
        i += 1;
        labels.insert(key, value);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiAnswer {
    status: String,
    data: Option<ApiData>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApiData {
    result_type: String,
    result: Vec<ApiSeries>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSeries {
    metric: BTreeMap<String, String>,
    value: Option<(f64, String)>,
    values: Option<Vec<(f64, String)>>,
}

fn parse_json(source: &str, text: &str) -> Result<Vec<Sample>, Vec<Diagnostic>> {
    let answer: ApiAnswer = serde_json::from_str(text).map_err(|e| {
        vec![problem(
            source,
            Some(e.line()),
            Some(e.column()),
            format!("not Prometheus API JSON: {e}"),
        )]
    })?;
    let _ = (&answer.warnings, &answer.infos, &answer.error_type);
    if answer.status != "success" {
        return Err(vec![problem(
            source,
            None,
            None,
            format!("the query failed: {}", answer.error.unwrap_or(answer.status)),
        )]);
    }
    let Some(data) = answer.data else {
        return Err(vec![problem(source, None, None, "the answer has no `data`".to_owned())]);
    };
    if data.result_type != "vector" && data.result_type != "matrix" {
        return Err(vec![problem(
            source,
            None,
            None,
            format!(
                "result type `{}`: meshlock reads `vector` and `matrix`",
                data.result_type
            ),
        )]);
    }
    let mut samples = Vec::new();
    let mut problems = Vec::new();
    for (i, series) in data.result.iter().enumerate() {
        let points: Vec<&(f64, String)> = series.value.iter().chain(series.values.iter().flatten()).collect();
        let numbers: Result<Vec<f64>, String> = points
            .iter()
            .map(|(_, v)| v.parse::<f64>().map_err(|_| format!("`{v}` is not a number")))
            .collect();
        // A query result may have dropped `__name__` (rate(), sum by): take it as istio_requests_total
        // unless it says otherwise.
        let metric = series.metric.get("__name__").map_or(METRICS[0], String::as_str);
        let built = numbers.and_then(|n| {
            // A range: the increase over the window (counters only grow, reset aside); an instant: the value.
            let value = match (n.first(), n.last()) {
                (Some(first), Some(last)) if n.len() > 1 => (last - first).max(0.0),
                (Some(v), _) => *v,
                _ => return Err("the series has no value".to_owned()),
            };
            sample_from(metric, &series.metric, value)
        });
        match built {
            Ok(s) => samples.push(s),
            Err(e) => problems.push(problem(source, None, None, format!("data.result[{i}]: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok(samples)
    } else {
        Err(problems)
    }
}

/// The PromQL to run, over `window` (e.g. `5m`): destination-reported requests and TCP connections
/// per client, service and security policy.
pub fn query(window: &str) -> String {
    let by = "source_workload, source_workload_namespace, source_principal, destination_service, connection_security_policy, reporter";
    format!(
        "sum by ({by}) (increase(istio_requests_total{{reporter=\"destination\"}}[{window}]))\n\
         sum by ({by}) (increase(istio_tcp_connections_opened_total{{reporter=\"destination\"}}[{window}]))"
    )
}

pub(crate) fn client_of(s: &Sample) -> String {
    if s.source_workload.is_empty() || s.source_workload == "unknown" {
        "unknown".to_owned()
    } else {
        format!("{}/{}", s.source_namespace, s.source_workload)
    }
}

/// Senders observed sending plaintext to `fqdn` (for the planner's lock-down guard).
pub fn plaintext_senders(observations: &Observations, fqdn: &str) -> Vec<String> {
    let mut senders: BTreeSet<String> = BTreeSet::new();
    for s in &observations.samples {
        if s.destination_service == fqdn && s.security != Security::MutualTls && s.value > 0.0 && s.reporter != "source"
        {
            senders.insert(client_of(s));
        }
    }
    senders.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_are_read_strictly() {
        let ok = parse_sample_line(
            r#"istio_requests_total{reporter="destination",source_workload="sleep",x="a,b=\"c\""} 12 1700000000000"#,
        )
        .unwrap();
        assert_eq!(ok.0, "istio_requests_total");
        assert_eq!(ok.1["x"], "a,b=\"c\"");
        assert_eq!(ok.2, 12.0);
        assert!(parse_sample_line(r#"istio_requests_total{reporter="destination" 12"#).is_err());
        assert!(parse_sample_line(r#"istio_requests_total{reporter=destination} 12"#).is_err());
        assert!(parse_sample_line("istio_requests_total twelve").is_err());
    }
}
