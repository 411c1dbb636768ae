//! The WebAssembly Gateway Interface (WAGI, after CGI/1.1, RFC 3875) as pure functions, for
//! `lucent serve`: the `modules.toml` that names the routes ([`config`]), which route a path
//! matches ([`Routes`]), the environment and arguments a request gives the guest
//! ([`environment`], [`arguments`]), and the HTTP response its standard output makes
//! ([`parse_response`]). No I/O here: the server wires these to hyper.

// A guest's output is parsed here: outside tests, nothing that can panic or silently wrap on a
// value it is given (as in the other crates that read guest input; docs/panic-audit.md).
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        clippy::disallowed_methods
    )
)]

pub mod config;

use std::fmt;

/// A route of `modules.toml`: an exact path (`/hello`), or a prefix ending in `/...`
/// (`/static/...` matches `/static` and everything below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path without the `/...`: the request's `SCRIPT_NAME`.
    base: String,
    prefix: bool,
}

impl Route {
    /// Parses a route as `modules.toml` writes it.
    pub fn parse(route: &str) -> Route {
        match route.strip_suffix("/...") {
            Some(base) => Route { base: base.to_string(), prefix: true },
            None => Route { base: route.to_string(), prefix: false },
        }
    }

    /// The route as written (`X_MATCHED_ROUTE`).
    pub fn pattern(&self) -> String {
        if self.prefix { format!("{}/...", self.base) } else { self.base.clone() }
    }

    /// If `path` (the request's path, without its query) is this route's: `SCRIPT_NAME` and
    /// the raw (not URL-decoded) `PATH_INFO`.
    pub fn matches<'p>(&self, path: &'p str) -> Option<(&str, &'p str)> {
        if !self.prefix {
            return (path == self.base).then_some((self.base.as_str(), ""));
        }
        let rest = path.strip_prefix(self.base.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some((self.base.as_str(), rest))
    }
}

/// The routes of an application, each with what it serves (`T`).
#[derive(Debug, Clone)]
pub struct Routes<T> {
    entries: Vec<(Route, T)>,
}

impl<T> Routes<T> {
    /// A table of `entries`.
    pub fn new(entries: Vec<(Route, T)>) -> Self {
        Routes { entries }
    }

    /// The entry serving `path`, with its route, `SCRIPT_NAME` and raw `PATH_INFO`: an exact
    /// route before any prefix route, and of prefix routes the longest; among equals, the
    /// first in the file.
    pub fn find<'p>(&self, path: &'p str) -> Option<(&Route, &T, &str, &'p str)> {
        let mut best: Option<(&Route, &T, &str, &'p str)> = None;
        for (route, value) in &self.entries {
            let Some((script, info)) = route.matches(path) else { continue };
            let better = match best {
                None => true,
                Some((held, ..)) => held.prefix && (!route.prefix || route.base.len() > held.base.len()),
            };
            if better {
                best = Some((route, value, script, info));
            }
        }
        best
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = &(Route, T)> {
        self.entries.iter()
    }
}

/// What the server knows of a request when it builds the guest's environment.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path as requested, without the query (not URL-decoded).
    pub path: &'a str,
    /// What follows `?`, if anything.
    pub query: &'a str,
    /// `HTTP/1.1`, ...
    pub protocol: &'a str,
    /// The request's headers, in order.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body's length in bytes.
    pub content_length: usize,
    /// The server's host name or address.
    pub server_name: &'a str,
    /// The port the request came in on.
    pub server_port: u16,
    /// The client's address.
    pub remote_addr: &'a str,
}

/// The CGI environment of `request` under `route`, whose `SCRIPT_NAME` and raw `PATH_INFO`
/// are `script_name` and `raw_path_info` ([`Route::matches`]). Every header becomes
/// `HTTP_<NAME>` (upper case, `-` as `_`), except `Content-Type` and `Content-Length`, which
/// are `CONTENT_TYPE` and `CONTENT_LENGTH`, and names that would not make a variable name.
pub fn environment(
    request: &Request<'_>,
    route: &Route,
    script_name: &str,
    raw_path_info: &str,
) -> Vec<(String, Vec<u8>)> {
    let path_info = percent_decode(raw_path_info);
    let host = request.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("host")).map_or_else(
        || format!("{}:{}", request.server_name, request.server_port),
        |(_, v)| String::from_utf8_lossy(v).into_owned(),
    );
    let query = if request.query.is_empty() { String::new() } else { format!("?{}", request.query) };
    let content_type =
        request.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.to_vec());
    let mut env: Vec<(String, Vec<u8>)> = vec![
        ("REQUEST_METHOD".into(), request.method.into()),
        ("SCRIPT_NAME".into(), script_name.into()),
        ("PATH_INFO".into(), path_info.clone()),
        ("PATH_TRANSLATED".into(), path_info),
        ("X_RAW_PATH_INFO".into(), raw_path_info.into()),
        ("QUERY_STRING".into(), request.query.into()),
        ("CONTENT_TYPE".into(), content_type.unwrap_or_default()),
        ("CONTENT_LENGTH".into(), request.content_length.to_string().into()),
        ("SERVER_NAME".into(), request.server_name.into()),
        ("SERVER_PORT".into(), request.server_port.to_string().into()),
        ("SERVER_PROTOCOL".into(), request.protocol.into()),
        ("SERVER_SOFTWARE".into(), concat!("Lucent/", env!("CARGO_PKG_VERSION")).into()),
        ("REMOTE_ADDR".into(), request.remote_addr.into()),
        ("REMOTE_HOST".into(), request.remote_addr.into()),
        ("GATEWAY_INTERFACE".into(), "CGI/1.1".into()),
        ("X_FULL_URL".into(), format!("http://{host}{}{query}", request.path).into()),
        ("X_MATCHED_ROUTE".into(), route.pattern().into()),
    ];
    for (name, value) in request.headers {
        if name.eq_ignore_ascii_case("content-type") || name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            continue;
        }
        let var = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
        match env.iter_mut().find(|(existing, _)| *existing == var) {
            // A repeated header: its values joined, as HTTP allows.
            Some((_, joined)) => {
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(value);
            }
            None => env.push((var, value.to_vec())),
        }
    }
    env
}

/// The guest's arguments: `template` split on whitespace, `${SCRIPT_NAME}` replaced in each
/// word, and a word `${ARGS}` replaced by the query's parameters (split on `&`, URL-decoded),
/// as WAGI's `argv` does. The default template is `${SCRIPT_NAME} ${ARGS}`.
pub fn arguments(template: Option<&str>, script_name: &str, query: &str) -> Vec<Vec<u8>> {
    let template = template.unwrap_or("${SCRIPT_NAME} ${ARGS}");
    let mut argv = Vec::new();
    for word in template.split_whitespace() {
        if word == "${ARGS}" {
            argv.extend(query.split('&').filter(|p| !p.is_empty()).map(|p| percent_decode(&p.replace('+', " "))));
        } else {
            argv.push(word.replace("${SCRIPT_NAME}", script_name).into_bytes());
        }
    }
    argv
}

/// `%XX` sequences decoded; anything else, malformed sequences included, kept as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&first, tail)) = rest.split_first() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (first, tail) {
            (b'%', [h, l, after @ ..]) if hex(*h).is_some() && hex(*l).is_some() => {
                let value = hex(*h).unwrap_or(0).wrapping_shl(4) | hex(*l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                rest = after;
            }
            _ => {
                out.push(first);
                rest = tail;
            }
        }
    }
    out
}

/// The HTTP response a guest's standard output makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status: `Status:` if given, else 302 with a `Location:`, else 200.
    pub status: u16,
    /// The headers to send (`Status:` is not one), in the guest's order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Everything after the blank line.
    pub body: Vec<u8>,
}

/// Why a guest's output is not a CGI response (the server answers 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// No blank line ends the headers.
    NoHeaderEnd,
    /// A header line is not `Name: value` with a valid name and value.
    BadHeader(String),
    /// `Status:` is not a code from 100 to 599 (a reason may follow).
    BadStatus(String),
    /// None of `Content-Type`, `Location` and `Status`: at least one is required.
    NoCgiField,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::NoHeaderEnd => write!(f, "the output has no blank line after its headers"),
            ResponseError::BadHeader(line) => write!(f, "bad header line `{line}`"),
            ResponseError::BadStatus(value) => write!(f, "bad Status `{value}`"),
            ResponseError::NoCgiField => write!(f, "none of Content-Type, Location and Status was given"),
        }
    }
}

impl std::error::Error for ResponseError {}

/// Whether `name` is an HTTP token (RFC 9110).
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Parses a guest's standard output as a CGI response: header lines (`\n` or `\r\n`) up to
/// the first blank line, then the body.
///
/// # Errors
///
/// See [`ResponseError`].
pub fn parse_response(output: &[u8]) -> Result<Response, ResponseError> {
    let mut headers = Vec::new();
    let mut status = None;
    let mut rest = output;
    loop {
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            return Err(ResponseError::NoHeaderEnd);
        };
        let Some((line, after)) = rest.split_at_checked(end) else {
            return Err(ResponseError::NoHeaderEnd);
        };
        rest = after.get(1..).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return Err(ResponseError::BadHeader(text.into_owned()));
        };
        let Some((name, value)) = line.split_at_checked(colon) else {
            return Err(ResponseError::BadHeader(text.into_owned()));
        };
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        let name = std::str::from_utf8(name).ok().filter(|n| is_token(n));
        let (Some(name), true) = (name, value.iter().all(|b| *b == b'\t' || (*b >= b' ' && *b != 0x7f))) else {
            return Err(ResponseError::BadHeader(text.into_owned()));
        };
        if name.eq_ignore_ascii_case("status") {
            let shown = String::from_utf8_lossy(value).into_owned();
            let code = shown.split_whitespace().next().and_then(|c| c.parse::<u16>().ok());
            match code.filter(|c| (100..=599).contains(c)) {
                Some(code) => status = Some(code),
                None => return Err(ResponseError::BadStatus(shown)),
            }
        } else {
            headers.push((name.to_string(), value.to_vec()));
        }
    }
    let has = |wanted: &str| headers.iter().any(|(n, _): &(String, Vec<u8>)| n.eq_ignore_ascii_case(wanted));
    let status = match status {
        Some(code) => code,
        None if has("location") => 302,
        None if has("content-type") => 200,
        None => return Err(ResponseError::NoCgiField),
    };
    Ok(Response { status, headers, body: rest.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn routes_match_exactly_or_by_prefix() {
        let exact = Route::parse("/hello");
        assert_eq!(exact.matches("/hello"), Some(("/hello", "")));
        assert_eq!(exact.matches("/hello/x"), None);
        let prefix = Route::parse("/static/...");
        assert_eq!(prefix.pattern(), "/static/...");
        assert_eq!(prefix.matches("/static"), Some(("/static", "")));
        assert_eq!(prefix.matches("/static/a/b"), Some(("/static", "/a/b")));
        assert_eq!(prefix.matches("/staticky"), None);
        let everything = Route::parse("/...");
        assert_eq!(everything.matches("/any/thing"), Some(("", "/any/thing")));
    }

    #[test]
    fn the_most_specific_route_serves() {
        let routes = Routes::new(
            ["/...", "/a/...", "/a/b/...", "/a/b", "/a/...", "/c"]
                .iter()
                .enumerate()
                .map(|(i, r)| (Route::parse(r), i))
                .collect(),
        );
        let served = |path| routes.find(path).map(|(_, i, script, info)| (*i, script.to_string(), info.to_string()));
        assert_eq!(served("/a/b"), Some((3, "/a/b".into(), String::new())));
        assert_eq!(served("/a/b/c"), Some((2, "/a/b".into(), "/c".into())));
        assert_eq!(served("/a/x"), Some((1, "/a".into(), "/x".into())));
        assert_eq!(served("/c"), Some((5, "/c".into(), String::new())));
        assert_eq!(served("/c/d"), Some((0, String::new(), "/c/d".into())));
        assert!(Routes::new(vec![(Route::parse("/only"), 0)]).find("/other").is_none());
    }

    #[test]
    fn the_environment_of_a_request() {
        let headers: [(&str, &[u8]); 5] = [
            ("Host", b"example.test:3000"),
            ("User-Agent", b"curl/8"),
            ("Content-Type", b"text/plain"),
            ("X-Many", b"a"),
            ("x-many", b"b"),
        ];
        let request = Request {
            method: "POST",
            path: "/app/a%20b",
            query: "x=1&y=two+words",
            protocol: "HTTP/1.1",
            headers: &headers,
            content_length: 5,
            server_name: "127.0.0.1",
            server_port: 3000,
            remote_addr: "127.0.0.1",
        };
        let route = Route::parse("/app/...");
        let (script, info) = route.matches(request.path).unwrap();
        let env = environment(&request, &route, script, info);
        let get =
            |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        assert_eq!(get("REQUEST_METHOD").as_deref(), Some("POST"));
        assert_eq!(get("SCRIPT_NAME").as_deref(), Some("/app"));
        assert_eq!(get("PATH_INFO").as_deref(), Some("/a b"));
        assert_eq!(get("X_RAW_PATH_INFO").as_deref(), Some("/a%20b"));
        assert_eq!(get("QUERY_STRING").as_deref(), Some("x=1&y=two+words"));
        assert_eq!(get("CONTENT_TYPE").as_deref(), Some("text/plain"));
        assert_eq!(get("CONTENT_LENGTH").as_deref(), Some("5"));
        assert_eq!(get("HTTP_USER_AGENT").as_deref(), Some("curl/8"));
        assert_eq!(get("HTTP_X_MANY").as_deref(), Some("a, b"));
        assert_eq!(get("HTTP_CONTENT_TYPE"), None);
        assert_eq!(get("X_FULL_URL").as_deref(), Some("http://example.test:3000/app/a%20b?x=1&y=two+words"));
        assert_eq!(get("X_MATCHED_ROUTE").as_deref(), Some("/app/..."));
        assert_eq!(get("GATEWAY_INTERFACE").as_deref(), Some("CGI/1.1"));
        assert_eq!(arguments(None, script, request.query), [&b"/app"[..], b"x=1", b"y=two words"]);
        assert_eq!(arguments(Some("prog --name ${SCRIPT_NAME}"), script, ""), [&b"prog"[..], b"--name", b"/app"]);
    }

    #[test]
    fn responses_as_wagi_reads_them() {
        let ok = parse_response(b"Content-Type: text/plain\n\nhello\n").unwrap();
        assert_eq!((ok.status, ok.body.as_slice()), (200, &b"hello\n"[..]));
        let found = parse_response(b"Location: /there\r\n\r\n").unwrap();
        assert_eq!(found.status, 302);
        assert_eq!(found.headers, [("Location".to_string(), b"/there".to_vec())]);
        let missing = parse_response(b"Status: 404 Not Found\nContent-Type: text/html\nX-Extra: 1\n\n").unwrap();
        assert_eq!(missing.status, 404);
        assert_eq!(missing.headers.len(), 2);
        assert_eq!(parse_response(b"hello world"), Err(ResponseError::NoHeaderEnd));
        assert_eq!(parse_response(b"X-Only: 1\n\n"), Err(ResponseError::NoCgiField));
        assert!(matches!(parse_response(b"not a header\n\n"), Err(ResponseError::BadHeader(_))));
        assert!(matches!(parse_response(b"Status: 42\n\n"), Err(ResponseError::BadStatus(_))));
        assert!(matches!(parse_response(b"Bad Name: x\n\n"), Err(ResponseError::BadHeader(_))));
        assert!(matches!(parse_response(b"Content-Type: a\x01b\n\n"), Err(ResponseError::BadHeader(_))));
    }

    proptest! {
        #[test]
        fn any_output_parses_or_is_refused_without_a_panic(output in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_response(&output);
        }

        #[test]
        fn headers_and_bodies_round_trip(
            headers in proptest::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,12}", "[ -~]{0,20}"), 0..6),
            body in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let headers: Vec<(String, String)> = headers
                .into_iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("status"))
                .map(|(n, v)| (n, v.trim().to_string()))
                .collect();
            let mut output = b"Content-Type: text/plain\n".to_vec();
            for (name, value) in &headers {
                output.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            output.push(b'\n');
            output.extend_from_slice(&body);
            let response = parse_response(&output).unwrap();
            prop_assert_eq!(response.status, 200);
            prop_assert_eq!(response.headers.len(), headers.len() + 1);
            for ((name, value), (got_name, got_value)) in headers.iter().zip(&response.headers[1..]) {
                prop_assert_eq!(name, got_name);
                prop_assert_eq!(value.as_bytes(), got_value.as_slice());
            }
            prop_assert_eq!(response.body, body);
        }

        #[test]
        fn percent_decoding_inverts_encoding(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
            prop_assert_eq!(percent_decode(&encoded), bytes);
        }
    }
}
