//! `modules.toml`, WAGI's application file: one `[[module]]` table per route.
//!
//! ```toml
//! [[module]]
//! route = "/hello/..."            # a trailing /... serves the path and everything below it
//! module = "hello.wasm"           # relative to the file's directory
//! entrypoint = "_start"           # the export to call (default `_start`)
//! volumes = { "/data" = "data" }  # guest path = host directory
//! argv = "${SCRIPT_NAME} ${ARGS}" # the guest's arguments
//! http_max_concurrency = 4        # the most requests it serves at once
//! environment = { GREETING = "hi" }
//! ```
//!
//! Keys WAGI knows and Lucent does not use (`allowed_hosts`, `bindle`, ...) are accepted with a
//! warning, so that existing WAGI applications run unchanged.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One `[[module]]` table.
#[derive(Debug, Clone, Deserialize)]
pub struct ModuleConfig {
    /// The route: `/path`, or `/path/...` for the path and everything below it.
    pub route: String,
    /// The module's file (`file://` URLs too), relative to the file's directory.
    pub module: String,
    /// The exported function to call for each request (default `_start`).
    pub entrypoint: Option<String>,
    /// Host directories for the guest: guest path = host path (relative to the file's
    /// directory).
    #[serde(default)]
    pub volumes: BTreeMap<String, String>,
    /// Environment variables for this module's guests.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// The guest's arguments, with `${SCRIPT_NAME}` and `${ARGS}` (see [`crate::arguments`]).
    pub argv: Option<String>,
    /// The most requests this module serves at once; more wait.
    pub http_max_concurrency: Option<u32>,
    /// Hosts the guest may make HTTP requests to: WAGI's outbound HTTP, which Lucent does not
    /// provide (a warning if any are named).
    pub allowed_hosts: Option<Vec<String>>,
    /// Keys this version does not use.
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    module: Vec<ModuleConfig>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

/// A parsed `modules.toml`: its modules, and what was accepted but not used.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `[[module]]` tables, in order.
    pub modules: Vec<ModuleConfig>,
    /// One line for each key or value accepted without effect.
    pub warnings: Vec<String>,
}

/// Why a `modules.toml` cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or a key of the wrong type.
    #[error("{0}")]
    Syntax(String),
    /// No `[[module]]` table.
    #[error("no [[module]] table: nothing to serve")]
    Empty,
    /// A `[[module]]` table with a value that cannot be served.
    #[error("[[module]] {index} (route `{route}`): {why}")]
    Module {
        /// Its position, from 1.
        index: usize,
        /// Its route, as written.
        route: String,
        /// What is wrong.
        why: String,
    },
}

/// Parses and checks the text of a `modules.toml`.
///
/// # Errors
///
/// See [`ConfigError`].
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.message().to_string()))?;
    let mut warnings: Vec<String> = file.other.keys().map(|key| format!("unknown key `{key}` ignored")).collect();
    if file.module.is_empty() {
        return Err(ConfigError::Empty);
    }
    let mut modules = file.module;
    for (index, module) in modules.iter_mut().enumerate() {
        let index = index.saturating_add(1);
        let bad = |why: String| ConfigError::Module { index, route: module.route.clone(), why };
        if !module.route.starts_with('/') {
            return Err(bad("a route starts with `/`".into()));
        }
        if let Some(path) = module.module.strip_prefix("file://") {
            module.module = path.to_string();
        } else if let Some((scheme, _)) = module.module.split_once("://") {
            return Err(bad(format!("`{scheme}://` modules are not supported: name a file")));
        }
        if module.module.is_empty() {
            return Err(bad("`module` is empty".into()));
        }
        if module.http_max_concurrency == Some(0) {
            return Err(bad("`http_max_concurrency` must be at least 1".into()));
        }
        if let Some(name) = module.environment.keys().find(|name| name.is_empty() || name.contains('=')) {
            return Err(bad(format!("`{name}` is not an environment variable name")));
        }
        if let Some((guest, host)) = module.volumes.iter().find(|(guest, host)| guest.is_empty() || host.is_empty()) {
            return Err(bad(format!("volume `{guest}` = `{host}`: both paths are needed")));
        }
        if module.entrypoint.as_deref() == Some("") {
            return Err(bad("`entrypoint` is empty".into()));
        }
        let route = &module.route;
        warnings.extend(
            module.other.keys().map(|key| format!("[[module]] {index} (route `{route}`): unknown key `{key}` ignored")),
        );
        if module.allowed_hosts.as_ref().is_some_and(|hosts| !hosts.is_empty()) {
            warnings.push(format!(
                "[[module]] {index} (route `{route}`): `allowed_hosts` ignored: Lucent gives guests no outbound HTTP"
            ));
        }
    }
    Ok(Config { modules, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wagi_application_file() {
        let config = parse(
            r#"
            default_host = "localhost:3000"
            [[module]]
            route = "/"
            module = "file:///srv/index.wasm"
            [[module]]
            route = "/env/..."
            module = "env.wasm"
            entrypoint = "serve"
            volumes = { "/data" = "./data" }
            argv = "${SCRIPT_NAME} --verbose ${ARGS}"
            http_max_concurrency = 2
            allowed_hosts = ["https://example.com"]
            bindle = "x"
            [module.environment]
            GREETING = "hello"
            "#,
        )
        .unwrap();
        assert_eq!(config.modules.len(), 2);
        assert_eq!(config.modules[0].module, "/srv/index.wasm");
        let env = &config.modules[1];
        assert_eq!((env.route.as_str(), env.entrypoint.as_deref()), ("/env/...", Some("serve")));
        assert_eq!(env.volumes.get("/data").map(String::as_str), Some("./data"));
        assert_eq!(env.environment.get("GREETING").map(String::as_str), Some("hello"));
        assert_eq!(env.http_max_concurrency, Some(2));
        assert_eq!(config.warnings.len(), 3, "{:?}", config.warnings);
        assert!(config.warnings.iter().any(|w| w.contains("allowed_hosts")));
        assert!(config.warnings.iter().any(|w| w.contains("`bindle`")));
        assert!(config.warnings.iter().any(|w| w.contains("`default_host`")));
    }

    #[test]
    fn files_that_cannot_be_served() {
        let error = |text: &str| parse(text).unwrap_err().to_string();
        assert!(error("[[module]]\nroute = 1").contains("invalid type"), "{}", error("[[module]]\nroute = 1"));
        assert!(error("[[module]]\nroute = \"/\"").contains("missing field `module`"));
        assert_eq!(error(""), "no [[module]] table: nothing to serve");
        assert!(error("[[module]]\nroute = \"x\"\nmodule = \"a.wasm\"").contains("starts with `/`"));
        assert!(error("[[module]]\nroute = \"/\"\nmodule = \"oci://a/b\"").contains("`oci://` modules"));
        assert!(error("[[module]]\nroute = \"/\"\nmodule = \"a\"\nhttp_max_concurrency = 0").contains("at least 1"));
        assert!(
            error("[[module]]\nroute = \"/\"\nmodule = \"a\"\nenvironment = { \"A=B\" = \"c\" }").contains("`A=B`")
        );
        assert!(error("not toml at all [").len() > 10);
    }
}
