//! `lucent serve`: real HTTP requests against a running server.

use crate::harness::{lucent_command, wat_file};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use test_programs_artifacts as guests;

/// A running `lucent serve`, killed when dropped; its stderr is collected.
struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `lucent serve --listen 127.0.0.1:0 ARGS` and waits for its start-up line.
    fn start(args: &[&str]) -> Server {
        let mut child = lucent_command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut early = String::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                panic!("lucent serve ended before serving: {early}");
            }
            early.push_str(&line);
            if let Some(rest) = line.strip_prefix("lucent: serving http://") {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        let log = Arc::new(Mutex::new(early));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Server { child, addr, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The log once every one of `needles` is in it (the server writes a line before its answer
    /// goes out, but the thread that collects stderr may not have read it yet); the log as it
    /// is after 10 s otherwise, for the assertion that follows to show.
    fn log_with(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if needles.iter().all(|n| log.contains(n)) || start.elapsed() > Duration::from_secs(10) {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one request on a new connection and reads the whole answer.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        send(&self.addr, &request_bytes(method, path, headers, body, true))
    }

    fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &[], b"")
    }

    /// A GET of `path` from another thread, whose answer the handle gives.
    fn get_in_background(&self, path: &str) -> std::thread::JoinHandle<Answer> {
        let (addr, request) = (self.addr.clone(), request_bytes("GET", path, &[], b"", true));
        std::thread::spawn(move || send(&addr, &request))
    }

    /// Sends SIGTERM and waits for the exit status.
    fn terminate(mut self) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().unwrap();
        (status.code(), self.log_with(&["lucent: stopped"]))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `request` on a new connection and reads the whole answer.
fn send(addr: &str, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.write_all(request).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    Answer::parse(&raw).0
}

fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8], close: bool) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: test.local\r\nContent-Length: {}\r\n", body.len());
    if close {
        text.push_str("Connection: close\r\n");
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    /// Parses one response with a Content-Length from the front of `raw`; returns it and
    /// what follows.
    fn parse(raw: &[u8]) -> (Answer, &[u8]) {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no header end: {raw:?}"));
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        let length: usize =
            headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.parse().unwrap()).unwrap_or(0);
        let rest = &raw[end + 4..];
        (Answer { status, headers, body: rest[..length].to_vec() }, &rest[length..])
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[test]
fn a_request_becomes_cgi_variables_arguments_and_stdin() {
    let server = Server::start(&[guests::WAGI_TEST]);
    let answer = server.request(
        "POST",
        "/env?first=1&second=two+words",
        &[("X-Custom", "yes"), ("Content-Type", "text/plain")],
        b"12345",
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    let text = answer.text();
    for expected in [
        "REQUEST_METHOD=POST",
        "PATH_INFO=/env",
        "SCRIPT_NAME=",
        "QUERY_STRING=first=1&second=two+words",
        "CONTENT_TYPE=text/plain",
        "CONTENT_LENGTH=5",
        "SERVER_PROTOCOL=HTTP/1.1",
        "GATEWAY_INTERFACE=CGI/1.1",
        "HTTP_X_CUSTOM=yes",
        "HTTP_HOST=test.local",
        "REMOTE_ADDR=127.0.0.1",
        "SERVER_NAME=",
        "X_MATCHED_ROUTE=/...",
        "arg first=1",
        "arg second=two words",
    ] {
        assert!(text.lines().any(|l| l.starts_with(expected)), "{expected} missing from:\n{text}");
    }
    assert!(text.contains(&format!("SERVER_PORT={}", server.addr.split(':').nth(1).unwrap())), "{text}");
    assert!(text.contains("X_FULL_URL=http://test.local/env?first=1"), "{text}");

    let echo = server.request("POST", "/echo", &[], b"the body\x00\xff bytes");
    assert_eq!((echo.status, echo.body.as_slice()), (200, &b"the body\x00\xff bytes"[..]));
    assert_eq!(echo.header("content-type"), Some("application/octet-stream"));
}

#[test]
fn status_location_and_headers_come_from_the_guest() {
    let server = Server::start(&[guests::WAGI_TEST]);
    let gone = server.get("/status");
    assert_eq!((gone.status, gone.text().as_str(), gone.header("x-guest")), (404, "gone\n", Some("yes")));
    let moved = server.get("/redirect");
    assert_eq!((moved.status, moved.header("location")), (302, Some("/elsewhere")));
    let nothing = server.get("/nothing");
    assert_eq!(nothing.status, 500);
    assert!(!nothing.text().contains("just text"), "the guest's output is not echoed");
    let log = server.log_with(&["no valid CGI response"]);
    assert!(log.contains("no valid CGI response"), "{log}");
}

#[test]
fn faults_get_an_answer_and_the_server_lives_on() {
    let server = Server::start(&["--timeout", "500ms", "--max-response-body", "1M", guests::WAGI_TEST]);
    let trap = server.get("/trap");
    assert_eq!(trap.status, 500);
    let start = Instant::now();
    let spin = server.get("/loop");
    assert_eq!(spin.status, 504);
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    let sleeper = server.get("/sleep");
    assert_eq!(sleeper.status, 504, "a guest waiting in poll_oneoff is stopped too");
    let big = server.get("/big");
    assert_eq!(big.status, 500);
    assert!(big.body.len() < 1000, "the cut-off output is not sent");
    // After all that, a guest still runs.
    assert_eq!(server.get("/counter").text(), "1\n");
    let log = server.log_with(&["trapped", "--timeout", "--max-response-body"]);
    assert!(log.contains("trapped") && log.contains("--timeout") && log.contains("--max-response-body"), "{log}");
}

#[test]
fn every_request_gets_a_fresh_instance() {
    let data = tempfile::tempdir().unwrap();
    let dir = format!("{}::/data", data.path().display());
    let server = Server::start(&["--dir", &dir, "--env", "FROM_OPTIONS=1", guests::WAGI_TEST]);
    for _ in 0..5 {
        assert_eq!(server.get("/counter").text(), "1\n", "a global survived a request");
    }
    let first = server.get("/fds").text();
    for _ in 0..3 {
        assert_eq!(server.get("/fds").text(), first, "a descriptor left open survived a request");
    }
    // A request's headers do not reach the next request's environment.
    let with = server.request("GET", "/env", &[("X-Secret", "one")], b"");
    assert!(with.text().contains("HTTP_X_SECRET=one"));
    let without = server.get("/env");
    assert!(!without.text().contains("X_SECRET"), "{}", without.text());
    assert!(without.text().contains("FROM_OPTIONS=1"));
}

/// One image, loaded at start, serves every request (it is not opened again: removing the
/// archive changes nothing) and stays read-only; each request gets a fresh, empty tmpfs.
#[test]
fn one_image_serves_every_request_and_each_gets_a_fresh_tmpfs() {
    let work = tempfile::tempdir().unwrap();
    let site = work.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("index.html"), "<h1>from the image</h1>\n").unwrap();
    let archive = work.path().join("site.tar");
    let status = std::process::Command::new("tar").arg("-C").arg(&site).arg("-cf").arg(&archive).arg(".").status();
    assert!(status.unwrap().success());
    let image = format!("{}::/site", archive.display());
    let server = Server::start(&["--image", &image, "--tmpfs", "/tmp:size=1M", guests::WAGI_TEST]);
    std::fs::remove_file(&archive).unwrap();
    std::fs::remove_dir_all(&site).unwrap();
    let requests: Vec<_> = (0..8).map(|_| server.get_in_background("/file?/site/index.html")).collect();
    for request in requests {
        let answer = request.join().unwrap();
        assert_eq!((answer.status, answer.text()), (200, "<h1>from the image</h1>\n".to_string()));
    }
    for _ in 0..3 {
        let answer = server.get("/scratch");
        // 76 is `notcapable`: an image is preopened without the rights to write, as `:ro` is.
        assert_eq!(answer.text(), "tmp held 0; /site: errno 76\n", "status {}", answer.status);
    }
    assert_eq!(server.get("/file?/site/new").status, 500);
}

#[test]
fn bodies_over_the_limit_and_slow_bodies_are_refused_before_a_guest_runs() {
    let server = Server::start(&["--max-request-body", "1K", "--body-timeout", "300ms", guests::WAGI_TEST]);
    let big = server.request("POST", "/echo", &[], &[b'x'; 4096]);
    assert_eq!(big.status, 413);
    let fits = server.request("POST", "/echo", &[], &[b'y'; 1024]);
    assert_eq!((fits.status, fits.body.len()), (200, 1024));
    // A body announced and never sent.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc").unwrap();
    let mut raw = Vec::new();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = stream.read_to_end(&mut raw);
    assert!(raw.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&raw));
}

#[test]
fn more_requests_than_instances_wait_then_are_refused() {
    let server = Server::start(&["--max-instances", "1", "--max-queue", "1", guests::WAGI_TEST]);
    // One sleeping guest holds the one instance, one request waits, the third is refused.
    let first = server.get_in_background("/sleep");
    std::thread::sleep(Duration::from_millis(300));
    let second = server.get_in_background("/counter");
    std::thread::sleep(Duration::from_millis(300));
    let third = server.get("/counter");
    assert_eq!(third.status, 503);
    assert_eq!((first.join().unwrap().status, second.join().unwrap().status), (200, 200));
}

#[test]
fn connections_are_kept_alive() {
    let server = Server::start(&[guests::WAGI_TEST]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut raw = request_bytes("GET", "/counter", &[], b"", false);
    raw.extend(request_bytes("GET", "/status", &[], b"", true));
    stream.write_all(&raw).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    let (first, rest) = Answer::parse(&got);
    let (second, _) = Answer::parse(rest);
    assert_eq!((first.status, second.status), (200, 404));
}

#[test]
fn routes_from_a_modules_toml() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("app.wasm");
    std::fs::copy(guests::WAGI_TEST, &module).unwrap();
    let (_wat_dir, hello) = wat_file(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "\10\00\00\00\1d\00\00\00")
            (data (i32.const 16) "Content-Type: text/plain\n\nhi\n")
            (func (export "_start") (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    let config = dir.path().join("modules.toml");
    std::fs::write(
        &config,
        format!(
            "[[module]]\nroute = \"/hello\"\nmodule = \"{}\"\n\n[[module]]\nroute = \"/app/...\"\nmodule = \"app.wasm\"\nargv = \"prog ${{SCRIPT_NAME}} ${{ARGS}}\"\nenvironment = {{ GREETING = \"hi\" }}\nallowed_hosts = [\"https://example.com\"]\n",
            hello.display()
        ),
    )
    .unwrap();
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    assert_eq!(server.get("/hello").text(), "hi\n");
    assert_eq!(server.get("/hello/more").status, 404);
    let env = server.get("/app/env?x=1").text();
    assert!(env.contains("SCRIPT_NAME=/app\n") && env.contains("PATH_INFO=/env\n"), "{env}");
    assert!(env.contains("GREETING=hi\n") && env.contains("X_MATCHED_ROUTE=/app/...\n"), "{env}");
    assert!(env.contains("arg prog\narg /app\narg x=1\n"), "{env}");
    assert_eq!(server.get("/elsewhere").status, 404);
    let log = server.log_with(&["allowed_hosts"]);
    assert!(log.contains("allowed_hosts"), "{log}");
}

#[test]
fn the_access_log_and_the_guests_stderr_reach_the_log() {
    let server = Server::start(&[guests::WAGI_TEST]);
    assert_eq!(server.get("/stderr").status, 200);
    let log = server.log_with(&["a line for the log", "GET /stderr 200"]);
    assert!(log.contains("a line for the log"), "{log}");
    assert!(log.lines().any(|l| l.contains("GET /stderr 200")), "{log}");
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    let server = Server::start(&[guests::WAGI_TEST]);
    let in_flight = server.get_in_background("/sleep");
    std::thread::sleep(Duration::from_millis(300));
    let (code, log) = server.terminate();
    let answer = in_flight.join().unwrap();
    assert_eq!((answer.status, answer.text().as_str()), (200, "slept\n"));
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("lucent: stopped"), "{log}");
}

#[test]
fn bad_input_is_refused_at_start() {
    let missing = lucent_command().args(["serve", "--listen", "127.0.0.1:0", "/no/such.wasm"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such.wasm"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("modules.toml");
    std::fs::write(&config, "[[module]]\nroute = \"nope\"\nmodule = \"x.wasm\"\n").unwrap();
    let bad = lucent_command().args(["serve", "--config", config.to_str().unwrap()]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("starts with `/`"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let neither = lucent_command().args(["serve"]).output().unwrap();
    assert_eq!(neither.status.code(), Some(2));
}

/// The threads of process `pid`.
fn threads_of(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn sleeping_guests_hold_no_thread_each() {
    const GUESTS: usize = 300;
    let server = Server::start(&["--max-instances", "400", guests::WAGI_TEST]);
    let request = request_bytes("GET", "/sleep", &[], b"", true);
    let mut streams: Vec<TcpStream> = (0..GUESTS)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            stream.write_all(&request).unwrap();
            stream
        })
        .collect();
    // Every guest sleeps 1 s in poll_oneoff: count the server's threads meanwhile (a thread
    // per sleeping guest would be 300 and more).
    let mut most = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(800) {
        most = most.max(threads_of(server.child.id()));
        std::thread::sleep(Duration::from_millis(20));
    }
    for stream in &mut streams {
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let answer = Answer::parse(&raw).0;
        assert_eq!((answer.status, answer.text().as_str()), (200, "slept\n"));
    }
    assert!(most < 64, "{most} threads while {GUESTS} guests slept");
    let logged = || server.log().lines().filter(|l| l.contains("GET /sleep 200")).count();
    let start = Instant::now();
    while logged() < GUESTS && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(logged(), GUESTS);
}

#[test]
fn guests_that_compute_take_turns_with_everything_else() {
    // More spinning guests than the server has threads to run them: each yields at every time
    // slice, so a request that comes after them is still answered at once, not after the
    // spinners' --timeout.
    let server = Server::start(&["--timeout", "8s", guests::WAGI_TEST]);
    let spinners: Vec<_> = (0..6).map(|_| server.get_in_background("/loop")).collect();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    assert_eq!(server.get("/counter").text(), "1\n");
    let waited = start.elapsed();
    for spinner in spinners {
        assert_eq!(spinner.join().unwrap().status, 504);
    }
    assert!(waited < Duration::from_secs(4), "answered after {waited:?}, with 6 guests spinning");
}
