//! Sources as requests name them, and how they are read: the one place that decides what a
//! string source means and how files and directories become sources.

use std::cell::RefCell;
use std::io;
use std::path::Path;
use std::rc::Rc;

use serde::Deserialize;

use super::{ApiError, ErrorCode};
use crate::ingest::Source;
use crate::mesh::LoadError;
use crate::seed;
use crate::settings::Limits;

/// The name of YAML text given without one.
pub const DEFAULT_SOURCE_NAME: &str = "input.yaml";

/// A source to load (`sources`, `intents`, `against`). A string is a path, read as `kubectl
/// apply -f` reads it ([`SourceReader::read_path`]): inputs are usually files and dumps. Hosts
/// without a file system (the browser) give text, or a file's bytes converted by the host
/// ([`source_from_file`]).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum SourceSpec {
    Path(String),
    Builtin {
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["seed"])))]
        builtin: String,
    },
    Inline(Source),
}

/// A source applied to a loaded mesh (`apply`, the steps of `simulate`). A string is YAML text
/// named `input.yaml`: what-ifs are short and written by hand (as a Python `apply("…")`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum OverlaySpec {
    Text(String),
    Builtin {
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["seed"])))]
        builtin: String,
    },
    Inline(Source),
}

/// A source as `apply` reads it: the same objects, and a string is YAML text, not a path (for a
/// host that reads both with one reader).
impl From<SourceSpec> for OverlaySpec {
    fn from(spec: SourceSpec) -> Self {
        match spec {
            SourceSpec::Path(text) => OverlaySpec::Text(text),
            SourceSpec::Builtin { builtin } => OverlaySpec::Builtin { builtin },
            SourceSpec::Inline(source) => OverlaySpec::Inline(source),
        }
    }
}

/// Where sources given as text go: `name` names YAML text (default `input.yaml`); `namespace` is
/// the namespace of documents without one (`kubectl apply -n`).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Placement {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

/// One item or a list of them (`intents: "a.yaml"` or `intents: ["a.yaml", "b.csv"]`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(inline))]
#[serde(untagged)]
pub enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::Many(items) => items,
            OneOrMany::One(item) => vec![item],
        }
    }
}

/// Observed traffic (Prometheus text exposition or the JSON of its HTTP API): a path, or the
/// text with the name its diagnostics give.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum MetricsSpec {
    Path(String),
    Inline { name: String, text: String },
}

impl MetricsSpec {
    pub fn parse(self) -> Result<crate::telemetry::Observations, ApiError> {
        let (name, text) = match self {
            MetricsSpec::Inline { name, text } => (name, text),
            MetricsSpec::Path(path) => {
                let file = Path::new(&path);
                let bytes = with_host_files(|files| files.read(file)).map_err(|e| cannot_read(file, e))?;
                let text = String::from_utf8(bytes)
                    .map_err(|e| cannot_read(file, io::Error::new(io::ErrorKind::InvalidData, e)))?;
                (path, text)
            }
        };
        Ok(crate::telemetry::Observations::parse(&name, &text)?)
    }
}

fn builtin(name: &str) -> Result<Source, ApiError> {
    match name {
        "seed" => Ok(seed::cluster_source()),
        other => Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("unknown built-in source `{other}`: the only one is `seed`"),
        )),
    }
}

/// A source from the bytes of a file, as the CLI reads a file argument
/// ([`crate::ingest::source_from_bytes`]: a UTF-8 byte order mark dropped, UTF-16 with a byte order
/// mark decoded, anything else must be UTF-8). Bytes that are not text are `invalid-input`, with
/// the located ML101 diagnostic, as a load error would be. Plain UTF-8 becomes the text in place
/// (no copy: a cluster dump can be hundreds of megabytes).
pub fn source_from_file(name: &str, bytes: Vec<u8>) -> Result<Source, ApiError> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) if !text.starts_with('\u{feff}') => return Ok(Source::new(name, text)),
        Ok(text) => text.into_bytes(),
        Err(not_utf8) => not_utf8.into_bytes(),
    };
    crate::ingest::source_from_bytes(name, &bytes).map_err(|diagnostic| {
        LoadError {
            diagnostics: vec![*diagnostic],
        }
        .into()
    })
}

/// Refuses input of `size` bytes (a file named `name`, with what was read before it) when it is
/// larger than `limits.max_input_bytes`, before it is read: `invalid-input`, ML106, as loading it
/// would answer after reading it all.
pub fn check_input_size(name: &str, size: u64, limits: &Limits) -> Result<(), ApiError> {
    match crate::ingest::input_bytes_exceeded(size, limits) {
        None => Ok(()),
        Some(diagnostic) => Err(LoadError {
            diagnostics: vec![diagnostic.at(crate::diagnostic::Location {
                source: name.to_owned(),
                ..crate::diagnostic::Location::default()
            })],
        }
        .into()),
    }
}

/// What the host tells of a path ([`HostFiles::stat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub is_dir: bool,
    pub is_file: bool,
    /// The size in bytes (files).
    pub len: u64,
}

/// The file system as the host gives it: what "a string source is a path" reads through, so that
/// a path means the same on every surface. [`std::fs`] by default; a host without one (WebAssembly:
/// Node's `node:fs` through JavaScript) installs its own with [`set_host_files`] on its thread.
pub trait HostFiles {
    /// The kind and size of `path` (following symbolic links, as `std::fs::metadata`).
    fn stat(&self, path: &Path) -> io::Result<FileStat>;
    /// The names of the entries of the directory `path` (any order).
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// The bytes of the file `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// [`std::fs`]: the default (on wasm32-unknown-unknown each call fails as `Unsupported`).
struct StdFiles;

impl HostFiles for StdFiles {
    fn stat(&self, path: &Path) -> io::Result<FileStat> {
        let meta = std::fs::metadata(path)?;
        Ok(FileStat {
            is_dir: meta.is_dir(),
            is_file: meta.is_file(),
            len: meta.len(),
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        std::fs::read_dir(path)?
            .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
            .collect()
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

thread_local! {
    // Per thread: a host's file functions (JavaScript values) belong to the thread that gave them.
    static HOST_FILES: RefCell<Option<Rc<dyn HostFiles>>> = const { RefCell::new(None) };
}

/// Installs the host's file system for the paths read on this thread from now on (`None`: back to
/// [`std::fs`]).
pub fn set_host_files(files: Option<Rc<dyn HostFiles>>) {
    HOST_FILES.with(|host| *host.borrow_mut() = files);
}

fn with_host_files<T>(f: impl FnOnce(&dyn HostFiles) -> T) -> T {
    // Cloned out of the cell: a host's function may call back into meshlock without a borrow held.
    match HOST_FILES.with(|host| host.borrow().clone()) {
        Some(files) => f(files.as_ref()),
        None => f(&StdFiles),
    }
}

/// Reads paths as every surface with a file system reads them (the CLI's `-f`, Python's and Node's
/// paths): a file is one source named by its path, decoded by [`source_from_file`]; a directory is
/// its `*.yaml`, `*.yml` and `*.json` files in name order (not recursive, as `kubectl apply -f
/// DIR`). All that is read together is refused past `limits.max_input_bytes` before a file is read.
/// Inline sources join in order (`push`), and count towards the limit too.
pub struct SourceReader<'a> {
    limits: &'a Limits,
    total: u64,
    sources: Vec<Source>,
    namespace: Option<String>,
    text_name: Option<String>,
}

impl<'a> SourceReader<'a> {
    pub fn new(limits: &'a Limits) -> Self {
        Self {
            limits,
            total: 0,
            sources: Vec::new(),
            namespace: None,
            text_name: None,
        }
    }

    /// The namespace of the documents without one in the files read from now on (`kubectl
    /// apply -n`).
    pub fn set_namespace(&mut self, namespace: Option<String>) {
        self.namespace = namespace;
    }

    /// A source given inline (its text, not a path).
    pub fn push(&mut self, source: Source) -> Result<(), ApiError> {
        self.total = self.total.saturating_add(source.text.len() as u64);
        check_input_size(&source.name, self.total, self.limits)?;
        self.sources.push(source);
        Ok(())
    }

    /// Reads a file or a directory.
    pub fn read_path(&mut self, path: &Path) -> Result<(), ApiError> {
        with_host_files(|files| {
            let stat = files.stat(path).map_err(|e| cannot_read(path, e))?;
            if !stat.is_dir {
                return self.read_file(files, path, stat.len);
            }
            // Names in order (the same order as their paths: one directory); sorting the strings
            // shares the code of every other string sort (the browser's module has a size budget).
            let mut names = files.read_dir(path).map_err(|e| cannot_read(path, e))?;
            names.sort();
            for name in names {
                let entry = path.join(name);
                if !entry
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
                {
                    continue;
                }
                // An entry that vanished or cannot be examined is skipped, as `Path::is_file` does.
                if let Ok(stat) = files.stat(&entry)
                    && stat.is_file
                {
                    self.read_file(files, &entry, stat.len)?;
                }
            }
            Ok(())
        })
    }

    fn read_file(&mut self, files: &dyn HostFiles, path: &Path, size: u64) -> Result<(), ApiError> {
        let name = path.display().to_string();
        check_input_size(&name, self.total.saturating_add(size), self.limits)?;
        let bytes = files.read(path).map_err(|e| cannot_read(path, e))?;
        self.read_bytes(&name, bytes)
    }

    /// Bytes read by the host (stdin), named `name`.
    pub fn read_bytes(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.total = self.total.saturating_add(bytes.len() as u64);
        check_input_size(name, self.total, self.limits)?;
        let mut source = source_from_file(name, bytes)?;
        source.namespace.clone_from(&self.namespace);
        self.sources.push(source);
        Ok(())
    }

    /// How many more bytes may be read before the limit is passed (one more: to tell it was).
    pub fn room(&self) -> u64 {
        self.limits.max_input_bytes.saturating_sub(self.total).saturating_add(1)
    }

    /// The sources read so far, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn into_sources(self) -> Vec<Source> {
        self.sources
    }
}

fn cannot_read(path: &Path, e: io::Error) -> ApiError {
    let how = if e.kind() == io::ErrorKind::Unsupported {
        // The browser: no file system, and none installed.
        ": this host has no file system; pass the file's content as `{name, text}` instead"
    } else {
        ""
    };
    ApiError::new(ErrorCode::Io, format!("cannot read `{}`: {e}{how}", path.display()))
}
impl SourceReader<'_> {
    /// Reads a source as a request names it.
    pub fn read_spec(&mut self, spec: SourceSpec) -> Result<(), ApiError> {
        match spec {
            SourceSpec::Path(path) => self.read_path(Path::new(&path)),
            SourceSpec::Builtin { builtin: name } => self.push(builtin(&name)?),
            SourceSpec::Inline(source) => self.push(source),
        }
    }

    /// Where text read from now on goes: its name, and the namespace of its documents without one.
    pub fn place(&mut self, placement: Placement) {
        self.namespace = placement.namespace;
        self.text_name = placement.name;
    }

    /// Reads an overlay (its text is inline, its namespace the reader's when it has none).
    pub fn read_overlay(&mut self, spec: OverlaySpec) -> Result<(), ApiError> {
        let mut source = match spec {
            OverlaySpec::Text(text) => Source::new(self.text_name.as_deref().unwrap_or(DEFAULT_SOURCE_NAME), text),
            OverlaySpec::Builtin { builtin: name } => builtin(&name)?,
            OverlaySpec::Inline(source) => source,
        };
        if source.namespace.is_none() {
            source.namespace.clone_from(&self.namespace);
        }
        self.push(source)
    }
}

/// Reads `specs` in order under `limits`, placed by `placement` (`Placement::default()`: as named,
/// no default namespace).
pub fn read_specs(specs: Vec<SourceSpec>, placement: Placement, limits: &Limits) -> Result<Vec<Source>, ApiError> {
    let mut reader = SourceReader::new(limits);
    reader.place(placement);
    specs.into_iter().try_for_each(|spec| reader.read_spec(spec))?;
    Ok(reader.into_sources())
}

/// Reads overlays in order under `limits`, placed by `placement`.
pub fn read_overlays(specs: Vec<OverlaySpec>, placement: Placement, limits: &Limits) -> Result<Vec<Source>, ApiError> {
    let mut reader = SourceReader::new(limits);
    reader.place(placement);
    specs.into_iter().try_for_each(|spec| reader.read_overlay(spec))?;
    Ok(reader.into_sources())
}
