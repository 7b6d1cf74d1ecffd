//! `meshlock`: the command line. It reads files and prints; every decision is in the core.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use meshlock::api::Weighing;
use meshlock::migrate::{Goal, StepInput};
use meshlock::render::{self, Style};
use meshlock::{IstioVersion, Mesh, MeshSettings, Severity, Source, Verdict};

mod completions;
mod hint;

/// Model an Istio mesh's move to mutual TLS: who can talk to whom, over what, and why.
#[derive(Debug, Parser)]
#[command(name = "meshlock", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay the "Mutual TLS Migration" guide on the built-in cluster (the default).
    Tour,
    /// What `curl http://HOST:PORT/PATH` returns from a pod of one workload.
    Probe(ProbeArgs),
    /// Why: the decision chain of a probe, resource by resource.
    Explain(ProbeArgs),
    /// Every client workload × every service port.
    Matrix(MatrixArgs),
    /// The migration stage of every service port, namespace and the mesh.
    Stages(StagesArgs),
    /// Ordered steps towards STRICT that never break a working edge (unless allowed).
    Plan(PlanArgs),
    /// Apply step files to a base in order and report the matrix after each.
    Simulate(SimulateArgs),
    /// Every edge that changes between two configurations; exits 1 when one breaks.
    Diff(DiffArgs),
    /// Diagnostics for the mistakes that break migrations, a matrix summary and the exposure report.
    Check(CheckArgs),
    /// Observed traffic vs the model: is each service ready for STRICT?
    Ready(ReadyArgs),
    /// Print a generated cluster (deterministic for a seed), for benchmarks and experiments.
    Generate(GenerateArgs),
    /// Print the shell completion script (e.g. `meshlock completions bash > ~/.local/share/bash-completion/completions/meshlock`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `meshlock man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Input (`-f` is not needed with --catalogue).
    #[command(flatten)]
    input: InputArgs,
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Exit 1 when a diagnostic of this severity (or worse) is found, or (`broken`) also when an
    /// edge fails. Exit 2 is kept for usage errors and unreadable files.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Print the diagnostics catalogue (Markdown) and exit.
    #[arg(long)]
    catalogue: bool,
    #[command(flatten)]
    evidence: EvidenceArgs,
    #[command(flatten)]
    detail: DetailArgs,
}

/// Which edges count, and the observed traffic that is evidence for them.
#[derive(Debug, Clone, Args)]
struct EvidenceArgs {
    /// Edges that count: `all` (default), `possible` (not forbidden by a NetworkPolicy or a deny),
    /// or evidence kinds `declared`, `observed`, `possible`, `forbidden` joined by commas.
    #[arg(long, value_name = "SCOPE")]
    edges: Option<meshlock::evidence::EdgeScope>,
    /// Observed traffic (Prometheus text exposition or API JSON): `observed` evidence.
    #[arg(long, value_name = "FILE")]
    metrics: Option<PathBuf>,
}

impl EvidenceArgs {
    fn weighs(&self, input: &InputArgs) -> bool {
        self.edges.is_some() || self.metrics.is_some() || !input.intents.is_empty()
    }

    /// The scope and the observed traffic, as the core weighs edges (declared edges come with the
    /// mesh's intents, which `-f`/`--intents` loaded).
    fn weighing(&self, counts_only: bool) -> Result<Weighing, Failure> {
        weighing(self.edges, self.metrics.as_deref(), counts_only)
    }
}

fn weighing(
    edges: Option<meshlock::evidence::EdgeScope>,
    metrics: Option<&Path>,
    counts_only: bool,
) -> Result<Weighing, Failure> {
    Ok(Weighing {
        edges,
        intents: Vec::new(),
        observations: metrics.map(read_metrics).transpose()?,
        counts_only,
    })
}

/// How much of a grouped text answer to show.
#[derive(Debug, Clone, Copy, Args)]
struct DetailArgs {
    /// Examples per group (and about three times as many groups per section) in text output.
    #[arg(long, value_name = "N", default_value_t = 3)]
    limit: usize,
    /// Text: every edge, client and group instead of the grouped summary (JSON always has them).
    #[arg(long)]
    all: bool,
}

impl DetailArgs {
    fn detail(self) -> render::Detail {
        render::Detail {
            limit: self.limit,
            all: self.all,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Broken,
}

#[derive(Debug, Args)]
struct ReadyArgs {
    /// Input (`-f` is not needed with --print-query).
    #[command(flatten)]
    input: InputArgs,
    /// Prometheus text exposition, or the JSON of /api/v1/query or /api/v1/query_range.
    #[arg(long, value_name = "FILE")]
    metrics: Option<PathBuf>,
    /// The window of the printed query.
    #[arg(long, default_value = "5m")]
    window: String,
    /// Print the PromQL that produces the metrics input, and exit.
    #[arg(long)]
    print_query: bool,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    format: ProbeFormat,
    #[command(flatten)]
    detail: DetailArgs,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 3)]
    namespaces: usize,
    /// Workloads (each with a Service) per namespace.
    #[arg(long, default_value_t = 3)]
    workloads: usize,
    /// Pods per workload (0: Deployments as written).
    #[arg(long, default_value_t = 0)]
    pods: usize,
    /// No PeerAuthentications, Policies or DestinationRules.
    #[arg(long)]
    no_policies: bool,
    /// v1alpha1 Policy/MeshPolicy instead of PeerAuthentication.
    #[arg(long)]
    v1alpha1: bool,
}

#[derive(Debug, Args)]
struct StagesArgs {
    #[command(flatten)]
    input: InputArgs,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    format: ProbeFormat,
    #[command(flatten)]
    detail: DetailArgs,
}

#[derive(Debug, Args)]
struct PlanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// `strict` (every namespace that can be locked), `mesh-strict`, or `namespace=NS[,NS…]`.
    #[arg(long, default_value = "strict")]
    goal: Goal,
    /// Clients (NS/WORKLOAD) you accept to break. Repeatable.
    #[arg(long = "allow-break", value_name = "NS/WORKLOAD")]
    allow_break: Vec<String>,
    /// Observed traffic: lock-downs are also held back by observed plaintext senders.
    #[arg(long, value_name = "FILE")]
    metrics: Option<PathBuf>,
    /// Edges the plan protects: `all` (default), `possible`, or evidence kinds such as
    /// `declared,observed`; a step may break edges outside it (its note names them).
    #[arg(long, value_name = "SCOPE")]
    edges: Option<meshlock::evidence::EdgeScope>,
    /// Write `NN-<step>.yaml`, `NN-<step>.rollback.yaml` and `PLAN.md` into this directory.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    format: ProbeFormat,
    #[command(flatten)]
    detail: DetailArgs,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// A step: a YAML file to apply, or `delete:FILE` to delete what it names. Repeatable, in order.
    #[arg(long = "step", value_name = "FILE", required = true)]
    steps: Vec<String>,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    format: ProbeFormat,
}

#[derive(Debug, Args)]
struct DiffArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The configuration to compare with (files or directories, like -f).
    #[arg(long = "against", value_name = "SRC", required = true, num_args = 1..)]
    against: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    #[command(flatten)]
    evidence: EvidenceArgs,
    #[command(flatten)]
    detail: DetailArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Md,
}

#[derive(Debug, Clone, Args)]
struct InputArgs {
    /// Input files or directories (*.yaml, *.yml, *.json); `-` reads stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "SRC", num_args = 1..)]
    files: Vec<PathBuf>,
    /// Namespace for namespaced documents without one (like `kubectl apply -n`).
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    namespace: Option<String>,
    /// Istio release whose rules apply: 1.0 … 1.28 or `current`.
    #[arg(long, value_name = "V")]
    istio_version: Option<IstioVersion>,
    /// Override auto mTLS (default: the release's default, or the mesh config).
    #[arg(long, value_name = "on|off")]
    auto_mtls: Option<OnOff>,
    /// Istio's root namespace (default: from the mesh config, else istio-system).
    #[arg(long, value_name = "NS")]
    root_namespace: Option<String>,
    /// Print notes (info diagnostics) too, not only warnings and errors.
    #[arg(short, long)]
    verbose: bool,
    /// A caller outside the mesh, without a sidecar: `NS/NAME=HOST:PORT[,HOST:PORT…]`. Repeatable.
    #[arg(long = "caller", value_name = "NS/NAME=TARGETS")]
    callers: Vec<String>,
    /// Declared traffic: `TrafficIntent` YAML, or CSV with the header `from,to`
    /// (`NS/WORKLOAD` or `NS/*`, then `HOST:PORT`, `HOST:*` or `HOST`). Repeatable.
    #[arg(long = "intents", value_name = "FILE")]
    intents: Vec<PathBuf>,
    /// Largest input read, all sources together, in bytes (default 1 GiB).
    #[arg(long, value_name = "N", default_value_t = meshlock::Limits::CLI_MAX_INPUT_BYTES, help_heading = "Limits")]
    max_input_bytes: u64,
    /// Most documents read, the items of `kind: List` documents included.
    #[arg(long, value_name = "N", default_value_t = meshlock::Limits::default().max_documents, help_heading = "Limits")]
    max_documents: u64,
    /// Deepest nesting of maps and lists in a document (YAML decoding stops at 128 anyway).
    #[arg(long, value_name = "N", default_value_t = meshlock::Limits::default().max_depth, help_heading = "Limits")]
    max_depth: u32,
    /// Most nodes that YAML aliases (`*name`) may expand to in a document.
    #[arg(long, value_name = "N", default_value_t = meshlock::Limits::default().max_alias_nodes, help_heading = "Limits")]
    max_alias_nodes: u64,
    /// Longest string (scalar) in bytes.
    #[arg(long, value_name = "N", default_value_t = meshlock::Limits::default().max_string_bytes, help_heading = "Limits")]
    max_string_bytes: u64,
    /// Most edges one answer lists one by one (`check` JSON and `--all`, `plan` blockers).
    #[arg(long, value_name = "N", default_value_t = meshlock::Limits::CLI_MAX_LISTED_EDGES, help_heading = "Limits")]
    max_listed_edges: u64,
}

impl InputArgs {
    fn limits(&self) -> meshlock::Limits {
        meshlock::Limits {
            max_input_bytes: self.max_input_bytes,
            max_documents: self.max_documents,
            max_depth: self.max_depth,
            max_alias_nodes: self.max_alias_nodes,
            max_string_bytes: self.max_string_bytes,
            max_listed_edges: self.max_listed_edges,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
struct ProbeArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The client workload, NAMESPACE/NAME (e.g. legacy/sleep).
    #[arg(long, value_name = "NS/WORKLOAD")]
    from: String,
    /// The target, `[https://]HOST:PORT[/PATH]`, resolved from the client's namespace
    /// (e.g. `httpbin.foo:8000`, `httpbin.foo:8000/ip`); `https://` makes curl speak TLS itself.
    #[arg(long, value_name = "[https://]HOST:PORT[/PATH]")]
    to: String,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    format: ProbeFormat,
    /// Exit 1 when the probe fails.
    #[arg(long)]
    fail_on_broken: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProbeFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct MatrixArgs {
    #[command(flatten)]
    input: InputArgs,
    #[arg(long, value_enum, default_value_t = MatrixFormat::Table)]
    format: MatrixFormat,
    /// `workload`: every client × every service port; `namespace`: per (client namespace, service
    /// namespace) pair, the edges per outcome class and the worst (the playground's map).
    #[arg(long, value_enum, default_value_t = MatrixBy::Workload)]
    by: MatrixBy,
    /// Exit 1 when any edge fails.
    #[arg(long)]
    fail_on_broken: bool,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MatrixBy {
    Workload,
    Namespace,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MatrixFormat {
    Table,
    Json,
    Csv,
    Md,
}

/// Bad input or usage: printed on stderr, exit code 2.
struct Failure(String);

const EXIT_BROKEN: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match run(cli, Style { color }) {
        Ok(code) => ExitCode::from(code),
        Err(Failure(message)) => {
            eprintln!("meshlock: {message}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn run(cli: Cli, style: Style) -> Result<u8, Failure> {
    match cli.command.unwrap_or(Command::Tour) {
        Command::Tour => {
            let tour = meshlock::seed::tour().map_err(|e| Failure(e.to_string()))?;
            emit(&render::tour(&tour, style))?;
            Ok(0)
        }
        Command::Probe(args) => {
            let mesh = load(&args.input)?;
            let outcome = mesh.probe(&args.from, &args.to).map_err(|e| Failure(e.to_string()))?;
            match args.format {
                ProbeFormat::Text => {
                    // stdout stays the bare status (scripts compare it); the reason goes to stderr.
                    if let Some(why) = hint::probe_hint(&mesh, &outcome, &args.to) {
                        eprintln!("meshlock: {why}");
                    }
                    emit(&format!("{}\n", outcome.response.status))?;
                }
                ProbeFormat::Json => emit(&json(&outcome)?)?,
            }
            Ok(gate(args.fail_on_broken, outcome.response.verdict() == Verdict::Fail))
        }
        Command::Explain(args) => {
            let mesh = load(&args.input)?;
            let outcome = mesh.probe(&args.from, &args.to).map_err(|e| Failure(e.to_string()))?;
            match args.format {
                ProbeFormat::Text => emit(&render::explain(&outcome, style))?,
                ProbeFormat::Json => emit(&json(&outcome)?)?,
            }
            Ok(gate(args.fail_on_broken, outcome.response.verdict() == Verdict::Fail))
        }
        Command::Matrix(args) if args.by == MatrixBy::Namespace => {
            let mesh = load(&args.input)?;
            let map = mesh.namespace_map();
            match args.format {
                MatrixFormat::Json => emit(&json(&map)?)?,
                MatrixFormat::Csv => emit(&render::namespace_map_csv(&map))?,
                MatrixFormat::Table | MatrixFormat::Md => emit(&render::namespace_map(&map))?,
            }
            Ok(gate(args.fail_on_broken, map.any_failing()))
        }
        Command::Matrix(args) if args.evidence.weighs(&args.input) => {
            let mesh = load(&args.input)?;
            let weighed = args.evidence.weighing(false)?.resolve(&mesh).map_err(failure)?;
            let (evidence, scope) = (weighed.evidence, weighed.scope);
            let broken = match args.format {
                MatrixFormat::Csv => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let mut broken = false;
                    let rows = std::iter::once(render::CSV_HEADER_EVIDENCE.to_owned()).chain(
                        mesh.edges_in_scope(&evidence, scope).map(|edge| {
                            broken |= edge.response.verdict() == Verdict::Fail;
                            render::csv_row(&edge)
                        }),
                    );
                    for row in rows {
                        if out.write_all(row.as_bytes()).is_err() {
                            return Ok(0);
                        }
                    }
                    if out.flush().is_err() {
                        return Ok(0);
                    }
                    broken
                }
                format => {
                    let matrix = mesh.matrix_in_scope(&evidence, scope);
                    emit(&match format {
                        MatrixFormat::Json => json(&matrix)?,
                        MatrixFormat::Md => render::matrix_markdown(&matrix),
                        _ => render::matrix_table(&matrix, style),
                    })?;
                    matrix.edges.iter().any(|e| e.response.verdict() == Verdict::Fail)
                }
            };
            Ok(gate(args.fail_on_broken, broken))
        }
        Command::Matrix(args) => {
            let mesh = load(&args.input)?;
            // CSV and JSON are streamed: a 10,000-pod cluster has millions of edges.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = match args.format {
                MatrixFormat::Csv => {
                    let mut broken = false;
                    let rows = std::iter::once(render::CSV_HEADER.to_owned()).chain(mesh.edges().map(|edge| {
                        broken |= edge.response.verdict() == Verdict::Fail;
                        render::csv_row(&edge)
                    }));
                    let mut written = Ok(());
                    for row in rows {
                        written = out.write_all(row.as_bytes());
                        if written.is_err() {
                            break;
                        }
                    }
                    written.map(|()| broken)
                }
                MatrixFormat::Json => serde_json::to_writer_pretty(&mut out, &mesh.matrix_stream())
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                    .map(|()| args.fail_on_broken && mesh.edges().any(|e| e.response.verdict() == Verdict::Fail)),
                MatrixFormat::Table | MatrixFormat::Md => {
                    let matrix = mesh.matrix();
                    let text = match args.format {
                        MatrixFormat::Table => render::matrix_table(&matrix, style),
                        _ => render::matrix_markdown(&matrix),
                    };
                    out.write_all(text.as_bytes())
                        .map(|()| matrix.edges.iter().any(|e| e.response.verdict() == Verdict::Fail))
                }
            };
            match written.and_then(|broken| out.flush().map(|()| broken)) {
                Ok(broken) => Ok(gate(args.fail_on_broken, broken)),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
                Err(e) => Err(Failure(format!("cannot write output: {e}"))),
            }
        }
        Command::Stages(args) => {
            let stages = load(&args.input)?.stages();
            match args.format {
                ProbeFormat::Text => emit(&render::stages_with(&stages, args.detail.detail()))?,
                ProbeFormat::Json => emit(&json(&stages)?)?,
            }
            Ok(0)
        }
        Command::Plan(args) => plan(args),
        Command::Check(args) => check(args, style),
        Command::Ready(args) => ready(args),
        Command::Generate(args) => {
            emit(&meshlock::generate::cluster(&meshlock::generate::GenSpec {
                seed: args.seed,
                namespaces: args.namespaces,
                workloads_per_namespace: args.workloads,
                pods_per_workload: args.pods,
                policies: !args.no_policies,
                v1alpha1: args.v1alpha1,
            }))?;
            Ok(0)
        }
        Command::Simulate(args) => simulate(args, style),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Diff(args) => {
            let before = load(&args.input)?;
            let weighs = args.evidence.weighs(&args.input);
            let after_input = InputArgs {
                files: args.against.clone(),
                ..args.input
            };
            let after = load(&after_input)?;
            let diff = if weighs {
                meshlock::api::diff_weighed(&before, &after, args.evidence.weighing(false)?).map_err(failure)?
            } else {
                Mesh::diff(&before, &after)
            };
            let broken = diff.scope.as_ref().map_or(diff.broken, |s| s.broken);
            let text = match args.format {
                DiffFormat::Text => render::diff_with(&diff, args.detail.detail()),
                DiffFormat::Json => json(&diff)?,
                DiffFormat::Md => render::diff_markdown(&diff),
            };
            emit(&text)?;
            Ok(if broken > 0 || !diff.diagnostics.is_empty() {
                EXIT_BROKEN
            } else {
                0
            })
        }
    }
}

fn plan(args: PlanArgs) -> Result<u8, Failure> {
    let mesh = load(&args.input)?;
    let allow: Vec<meshlock::model::WorkloadId> = args
        .allow_break
        .iter()
        .map(|w| meshlock::model::parse_client(w).map_err(|e| Failure(e.to_string())))
        .collect::<Result<_, _>>()?;
    // Per-edge lists only where they are shown: JSON and `--all`.
    let list_edges = matches!(args.format, ProbeFormat::Json) || args.detail.all;
    let weighing = weighing(args.edges, args.metrics.as_deref(), !list_edges)?;
    let plan = meshlock::api::plan_weighed(&mesh, &args.goal, &allow, weighing).map_err(failure)?;
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).map_err(|e| Failure(format!("cannot create `{}`: {e}", dir.display())))?;
        let write = |name: String, parts: &[String]| {
            let path = dir.join(&name);
            std::fs::write(&path, parts.join("---\n"))
                .map_err(|e| Failure(format!("cannot write `{}`: {e}", path.display())))
        };
        for step in &plan.steps {
            write(format!("{}.yaml", step.name), &step.apply)?;
            if !step.rollback.is_empty() {
                write(format!("{}.rollback.yaml", step.name), &step.rollback)?;
            }
            if !step.delete.is_empty() {
                write(format!("{}.delete.yaml", step.name), &step.delete)?;
            }
            if !step.rollback_delete.is_empty() {
                write(format!("{}.rollback-delete.yaml", step.name), &step.rollback_delete)?;
            }
        }
        write("PLAN.md".to_owned(), &[render::plan_with(&plan, args.detail.detail())])?;
    }
    match args.format {
        ProbeFormat::Text => emit(&render::plan_with(&plan, args.detail.detail()))?,
        ProbeFormat::Json => emit(&json(&plan)?)?,
    }
    Ok(0)
}

fn check(args: CheckArgs, style: Style) -> Result<u8, Failure> {
    if args.catalogue {
        emit(&meshlock::diagnostic::catalogue_markdown())?;
        return Ok(0);
    }
    let (sources, settings) = read_input(&args.input)?;
    // Text without --all shows groups only: the per-edge list is not built.
    let list_edges = !matches!(args.format, CheckFormat::Text) || args.detail.all;
    // Errors in the input are findings of `check` (exit 1, like a linter's), reported in the
    // chosen format, not a crash; in text they are the whole report: nothing else was analysed.
    let report =
        meshlock::api::check_sources(Ok(sources), &settings, args.evidence.weighing(!list_edges)?).map_err(failure)?;
    // A mesh that loaded has no error among its diagnostics (an error makes loading fail).
    let loaded = report.count(Severity::Error) == 0;
    match args.format {
        CheckFormat::Text if !loaded => emit(&format!(
            "{}the input has errors ({}); nothing was analysed\n",
            render::diagnostics(&report.diagnostics, Severity::Info),
            report.count(Severity::Error)
        ))?,
        CheckFormat::Text => emit(&render::check_with(&report, style, args.detail.detail()))?,
        CheckFormat::Json => emit(&json(&report)?)?,
        CheckFormat::Sarif => emit(&json(&render::sarif(&report))?)?,
    }
    let failed = match args.fail_on {
        FailOn::Error => report.count(Severity::Error) > 0,
        FailOn::Warning => report.count(Severity::Error) + report.count(Severity::Warning) > 0,
        // Under a scope, the failing edges in it (what `--edges` keeps) count.
        FailOn::Broken => {
            let failing = match (&report.scope, args.evidence.edges) {
                (Some(scope), Some(_)) => scope.failing,
                _ => report.summary.failing,
            };
            failing > 0 || report.count(Severity::Error) > 0
        }
    };
    Ok(if failed { EXIT_BROKEN } else { 0 })
}

fn read_metrics(path: &Path) -> Result<meshlock::telemetry::Observations, Failure> {
    meshlock::api::MetricsSpec::Path(path.display().to_string())
        .parse()
        .map_err(failure)
}

fn ready(args: ReadyArgs) -> Result<u8, Failure> {
    if args.print_query {
        emit(&format!("{}\n", meshlock::telemetry::query(&args.window)))?;
        return Ok(0);
    }
    let Some(metrics) = &args.metrics else {
        return Err(Failure("ready needs --metrics FILE (or --print-query)".to_owned()));
    };
    let mesh = load(&args.input)?;
    let reconciliation = mesh.ready(&read_metrics(metrics)?);
    match args.format {
        ProbeFormat::Text => emit(&render::ready_with(&reconciliation, args.detail.detail()))?,
        ProbeFormat::Json => emit(&json(&reconciliation)?)?,
    }
    Ok(0)
}

fn simulate(args: SimulateArgs, style: Style) -> Result<u8, Failure> {
    let mesh = load(&args.input)?;
    let mut steps = Vec::new();
    for spec in &args.steps {
        let (is_delete, file) = match spec.strip_prefix("delete:") {
            Some(file) => (true, file),
            None => (false, spec.as_str()),
        };
        let limits = args.input.limits();
        let mut reader = meshlock::api::SourceReader::new(&limits);
        reader.set_namespace(args.input.namespace.clone());
        read_sources(Path::new(file), &mut reader)?;
        let sources = reader.into_sources();
        let (apply, delete) = if is_delete {
            (Vec::new(), sources)
        } else {
            (sources, Vec::new())
        };
        steps.push(StepInput {
            name: spec.clone(),
            apply,
            delete,
        });
    }
    let simulated = mesh.simulate(&steps).map_err(|e| bad_input(&e.diagnostics))?;
    match args.format {
        ProbeFormat::Json => emit(&json(&simulated)?)?,
        ProbeFormat::Text => {
            let mut text = String::new();
            for step in &simulated {
                text.push_str(&format!("== after {}\n", step.name));
                text.push_str(&render::diff(&meshlock::migrate::Diff::from_changes(
                    step.delta.clone(),
                )));
                text.push_str(&render::matrix_table(&step.matrix, style));
            }
            emit(&text)?;
        }
    }
    Ok(0)
}

fn bad_input(diagnostics: &[meshlock::Diagnostic]) -> Failure {
    eprint!("{}", render::diagnostics(diagnostics, Severity::Warning));
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    Failure(format!("the input has errors ({errors}); nothing was analysed"))
}

fn gate(asked: bool, broken: bool) -> u8 {
    if asked && broken { EXIT_BROKEN } else { 0 }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Failure(format!("cannot write JSON: {e}")))
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly instead of panicking.
fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure(format!("cannot write output: {e}"))),
        _ => Ok(()),
    }
}

fn read_input(input: &InputArgs) -> Result<(Vec<Source>, MeshSettings), Failure> {
    if input.files.is_empty() {
        return Err(Failure(
            "no input: give -f SRC (files, directories, or - for stdin)".to_owned(),
        ));
    }
    let limits = input.limits();
    // Files and intents count together against the input limit.
    let mut reader = meshlock::api::SourceReader::new(&limits);
    reader.set_namespace(input.namespace.clone());
    for path in &input.files {
        read_sources(path, &mut reader)?;
    }
    let files = reader.sources().len();
    reader.set_namespace(None);
    for path in &input.intents {
        read_intents(path, &mut reader)?;
    }
    let mut sources = reader.into_sources();
    let callers = input
        .callers
        .iter()
        .map(|c| caller_source(c))
        .collect::<Result<Vec<_>, _>>()?;
    sources.splice(files..files, callers);
    let settings = MeshSettings {
        istio_version: input.istio_version,
        auto_mtls: input.auto_mtls.map(|v| matches!(v, OnOff::On)),
        root_namespace: input.root_namespace.clone(),
        trust_domain: None,
        limits,
    };
    Ok((sources, settings))
}

fn load(input: &InputArgs) -> Result<Mesh, Failure> {
    let (sources, settings) = read_input(input)?;
    let shown = if input.verbose {
        Severity::Info
    } else {
        Severity::Warning
    };
    match Mesh::load(&sources, &settings) {
        Ok(loaded) => {
            eprint!("{}", render::diagnostics(&loaded.diagnostics, shown));
            Ok(loaded.mesh)
        }
        Err(err) => Err(bad_input(&err.diagnostics)),
    }
}

/// `--intents FILE`: a source of declared traffic (TrafficIntent YAML or intents CSV) and nothing
/// else, so that a cluster file passed by mistake is said, not merged.
fn read_intents(path: &Path, reader: &mut meshlock::api::SourceReader) -> Result<(), Failure> {
    if path.is_dir() {
        return Err(Failure(format!(
            "--intents takes a file (TrafficIntent YAML or CSV), not the directory `{}`",
            path.display()
        )));
    }
    let first = reader.sources().len();
    read_sources(path, reader)?;
    for source in reader.sources().iter().skip(first) {
        let is_intents = meshlock::ingest::intent::is_csv(&source.text)
            || meshlock::ingest::ingest(std::slice::from_ref(source), 0)
                .resources
                .iter()
                .all(|s| matches!(s.resource, meshlock::ingest::Resource::Intent(_)));
        if !is_intents {
            return Err(Failure(format!(
                "--intents `{}` holds other kinds than TrafficIntent: pass cluster resources with -f",
                path.display()
            )));
        }
    }
    Ok(())
}

/// `--caller ns/name=host:port,host:port` as the ExternalCaller document it stands for.
fn caller_source(spec: &str) -> Result<Source, Failure> {
    let bad = || Failure(format!("bad --caller `{spec}`: write NS/NAME=HOST:PORT[,HOST:PORT…]"));
    let (id, targets) = spec.split_once('=').ok_or_else(bad)?;
    let (namespace, name) = id
        .split_once('/')
        .filter(|(n, w)| !n.is_empty() && !w.is_empty())
        .ok_or_else(bad)?;
    let targets: Vec<String> = targets.split(',').map(|t| format!("\"{}\"", t.trim())).collect();
    let yaml = format!(
        "apiVersion: meshlock.dev/v1alpha1\nkind: ExternalCaller\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  targets: [{}]\n",
        targets.join(", ")
    );
    Ok(Source::new(format!("--caller {spec}"), yaml))
}

/// Reads `path` (a file, a directory, or `-` for stdin) as every surface reads paths.
fn read_sources(path: &Path, reader: &mut meshlock::api::SourceReader) -> Result<(), Failure> {
    let read = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(reader.room())
            .read_to_end(&mut bytes)
            .map_err(|e| Failure(format!("cannot read stdin: {e}")))?;
        reader.read_bytes("<stdin>", bytes)
    } else {
        reader.read_path(path)
    };
    read.map_err(failure)
}

/// An error of the core's request layer: its diagnostics (shown) when the input is at fault, else
/// its message.
fn failure(e: meshlock::api::ApiError) -> Failure {
    match e.diagnostics.is_empty() {
        true => Failure(e.message),
        false => bad_input(&e.diagnostics),
    }
}
