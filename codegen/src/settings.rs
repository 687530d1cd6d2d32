//! The options of one generation run: the generated crate's name and how it gets its runtime, and
//! the API-specific names generic code would otherwise hard-code.

/// How a generated crate gets the runtime it is built on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeLink {
    /// The runtime's sources are copied into the crate, byte for byte, as its `runtime` module,
    /// so that the crate builds on its own.
    Vendored,
    /// The crate depends on the runtime crate at `path` (absolute, or relative to the generated
    /// crate's directory), so that several generated crates share one runtime and its types.
    Shared {
        /// Where the runtime crate is.
        path: String,
    },
}

/// Options of one generation run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub(crate) crate_name: String,
    pub(crate) standalone: bool,
    pub(crate) runtime: RuntimeLink,
    pub(crate) default_webhook_path: String,
    pub(crate) keywords: Vec<String>,
    pub(crate) namespace_prefix: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            crate_name: "msgraph-calls".to_owned(),
            standalone: false,
            runtime: RuntimeLink::Vendored,
            default_webhook_path: "/api/calls".to_owned(),
            keywords: ["microsoft-graph", "teams", "calling-bot", "openapi"]
                .map(str::to_owned)
                .to_vec(),
            namespace_prefix: "microsoft.graph.".to_owned(),
        }
    }
}

impl Settings {
    /// Settings for a crate named `msgraph-calls` that vendors its runtime.
    pub fn new() -> Self {
        Self::default()
    }

    /// How the generated crate gets its runtime; by default [`RuntimeLink::Vendored`].
    pub fn with_runtime(&mut self, runtime: RuntimeLink) -> &mut Self {
        self.runtime = runtime;
        self
    }

    /// The path a notification receiver serves when the user names none; by default
    /// `/api/calls`, the calling webhook of Microsoft's bot samples.
    pub fn with_default_webhook_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.default_webhook_path = path.into();
        self
    }

    /// The `keywords` of the generated crate's `Cargo.toml`.
    pub fn with_keywords<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        keywords: I,
    ) -> &mut Self {
        self.keywords = keywords.into_iter().map(Into::into).collect();
        self
    }

    /// The package name of the generated crate.
    pub fn with_crate_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.crate_name = name.into();
        self
    }

    /// Whether the generated crate is its own workspace (for output outside this repository's
    /// workspace) rather than a member of it.
    pub fn with_standalone(&mut self, standalone: bool) -> &mut Self {
        self.standalone = standalone;
        self
    }

    /// The namespace of the API's own schema names, left out of a type name that needs its
    /// namespace to be unique: with `microsoft.graph.`, `microsoft.graph.ODataErrors.InnerError`
    /// becomes `ODataErrorsInnerError` when `InnerError` is taken.
    pub fn with_namespace_prefix(&mut self, prefix: impl Into<String>) -> &mut Self {
        self.namespace_prefix = prefix.into();
        self
    }
}
