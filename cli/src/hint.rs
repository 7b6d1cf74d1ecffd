//! The one-line reason printed next to a probe's bare status when the target itself is the
//! problem (a typo in the host or port reads like an mTLS failure otherwise: `000`).

use meshlock::{Mesh, Outcome, Reason};

/// Why the probe found nothing to talk to, with the names the user may have meant; `None`
/// when the target exists (the status then speaks for itself, `explain` says the rest).
pub fn probe_hint(mesh: &Mesh, outcome: &Outcome, given: &str) -> Option<String> {
    let target = given.split_once("://").map_or(given, |(_, rest)| rest);
    let target = target.split_once('/').map_or(target, |(authority, _)| authority);
    let (host, port) = target.rsplit_once(':').unwrap_or((target, ""));
    let why = match outcome.response.reason {
        Reason::UnknownHost => {
            let similar = similar_services(mesh, host);
            let also = if similar.is_empty() {
                String::new()
            } else {
                format!(" (similar: {})", similar.join(", "))
            };
            format!("unknown host {host}: no Service of that name{also}")
        }
        Reason::UnknownPort => {
            let ports = mesh
                .services()
                .iter()
                .find(|s| outcome.to.starts_with(&format!("{}:", s.fqdn)))
                .map(|s| {
                    s.ports
                        .iter()
                        .map(|p| p.port.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("unknown port {port} on {host} (its ports: {ports})")
        }
        Reason::NoEndpoints => format!("no endpoints: no pod matches the selector of the Service {host}"),
        _ => return None,
    };
    Some(format!("{}  {why}", outcome.response.status))
}

/// Services whose `name.namespace` is a few edits away from `host`, or whose name is close to
/// the host's first label: the usual typos (wrong namespace, misspelt name).
fn similar_services(mesh: &Mesh, host: &str) -> Vec<String> {
    let short = host.trim_end_matches(".svc.cluster.local").trim_end_matches(".svc");
    let first = short.split('.').next().unwrap_or(short);
    let mut names: Vec<(usize, String)> = mesh
        .services()
        .iter()
        .map(|s| format!("{}.{}", s.name, s.namespace))
        .filter_map(|name| {
            let distance = edit_distance(&name, short);
            let name_distance = edit_distance(name.split('.').next().unwrap_or(&name), first);
            (name_distance <= 2 || distance <= 3).then_some((distance.min(name_distance), name))
        })
        .collect();
    names.sort();
    names.dedup();
    names.into_iter().take(5).map(|(_, name)| name).collect()
}

/// Levenshtein distance over chars, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        let mut next = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = next.last().copied().unwrap_or(usize::MAX);
            let cost = usize::from(ca != *cb);
            next.push(
                (diagonal + cost)
                    .min(above.saturating_add(1))
                    .min(left.saturating_add(1)),
            );
            diagonal = above;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("httpbin.foo", "httpbin.foo"), 0);
        assert_eq!(edit_distance("httpbin.foo", "httpbin.fo"), 1);
        assert_eq!(edit_distance("httpbin.foo", "httbin.fop"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
