//! Sockets: listeners handed to the guest with `--tcplisten`, and real TCP clients (plain
//! `std::net`, one thread each) driven by the test. Every wait is bounded: a guest that hangs
//! fails the test instead of hanging it.

use crate::harness::{Run, Sandbox, lucent_command};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use test_programs_artifacts as guests;

/// The longest any single step may take (generous: the machine may be busy).
const STEP: Duration = Duration::from_secs(30);

/// A `lucent run` with listeners, running in the background.
struct Server {
    child: Child,
    /// The address of the first listener.
    addr: SocketAddr,
    /// The guest's stdout, line by line.
    stdout: Receiver<String>,
    /// The guest's stderr after the listening lines, line by line.
    stderr: Receiver<String>,
    readers: Vec<JoinHandle<()>>,
}

/// What a finished run printed.
struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Sends the lines of `input` to a channel, from a thread of its own.
fn lines_of(input: impl Read + Send + 'static) -> (Receiver<String>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(input).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (rx, reader)
}

/// Everything already in `rx`, one line each.
fn drain(rx: &Receiver<String>) -> String {
    rx.try_iter().map(|l| l + "\n").collect()
}

impl Server {
    /// Starts `lucent run OPTS --tcplisten 127.0.0.1:0 ... MODULE ARGS` with `listeners` listeners
    /// and waits for the lines announcing them; `first_fd` is the descriptor the first should get.
    fn start(opts: &[String], listeners: usize, first_fd: u32, module: &str, args: &[&str]) -> Server {
        let mut cmd = lucent_command();
        cmd.arg("run").args(opts);
        for _ in 0..listeners {
            cmd.args(["--tcplisten", "127.0.0.1:0"]);
        }
        cmd.arg(module).args(args).env_remove("LUCENT_LOG");
        let mut child =
            cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn lucent");
        let (stdout, out_reader) = lines_of(child.stdout.take().expect("stdout"));
        let (stderr, err_reader) = lines_of(child.stderr.take().expect("stderr"));
        let mut addr = None;
        for i in 0..listeners {
            let line = stderr.recv_timeout(STEP).unwrap_or_else(|e| panic!("no listening line ({e})"));
            // lucent: --tcplisten 127.0.0.1:0 listening on 127.0.0.1:PORT (fd N)
            let rest = line.strip_prefix("lucent: --tcplisten 127.0.0.1:0 listening on ").unwrap_or_else(|| {
                panic!("unexpected stderr line: {line:?}");
            });
            let (local, fd) = rest.split_once(' ').unwrap_or_else(|| panic!("unexpected stderr line: {line:?}"));
            let local: SocketAddr = local.parse().unwrap_or_else(|e| panic!("{local:?}: {e}"));
            assert!(local.ip().is_loopback() && local.port() != 0, "{line}");
            assert_eq!(fd, format!("(fd {})", first_fd + i as u32), "{line}");
            addr.get_or_insert(local);
        }
        Server { child, addr: addr.expect("a listener"), stdout, stderr, readers: vec![out_reader, err_reader] }
    }

    /// Connects a client to the first listener, with read and write timeouts.
    fn connect(&self) -> TcpStream {
        let client = TcpStream::connect_timeout(&self.addr, STEP).expect("connect");
        client.set_read_timeout(Some(STEP)).unwrap();
        client.set_write_timeout(Some(STEP)).unwrap();
        client
    }

    /// Waits for the guest to print `want` as its next line.
    #[track_caller]
    fn expect_line(&mut self, want: &str) {
        match self.stdout.recv_timeout(STEP) {
            Ok(line) => assert_eq!(line, want, "stderr:\n{}", drain(&self.stderr)),
            Err(RecvTimeoutError::Timeout) => panic!("no line {want:?} within {STEP:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                std::thread::sleep(Duration::from_millis(100));
                panic!("guest ended ({status:?}) before {want:?}; stderr:\n{}", drain(&self.stderr));
            }
        }
    }

    /// Waits (bounded) for the run to end and collects what it printed.
    fn finish(mut self) -> Finished {
        let deadline = Instant::now() + STEP;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for lucent") {
                break status;
            }
            assert!(Instant::now() < deadline, "lucent still running after {STEP:?}; stderr:\n{}", drain(&self.stderr));
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            reader.join().expect("reader thread");
        }
        Finished { code: status.code(), stdout: drain(&self.stdout), stderr: drain(&self.stderr) }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only a run that failed its test is still going.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends each message and reads exactly its bytes back.
fn echo_exchange(client: &mut TcpStream, messages: &[Vec<u8>]) {
    for message in messages {
        client.write_all(message).expect("send");
        let mut back = vec![0; message.len()];
        client.read_exact(&mut back).expect("read the echo");
        assert!(back == *message, "echo differs from what was sent ({} bytes)", message.len());
    }
}

/// The messages client `id` sends: short and long ones (longer than the server's buffer),
/// each naming the client.
fn messages_of(id: usize) -> Vec<Vec<u8>> {
    [1, 10, 100, 3000, 20_000, 5]
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let tag = format!("client {id} message {i}|");
            tag.bytes().cycle().take(len.max(tag.len())).collect()
        })
        .collect()
}

/// The C echo server polls its listener and all its clients at once (`poll()` over
/// `poll_oneoff`): a slow client that connects first and stays silent does not hold up the
/// others, which are all served, concurrently, while it waits. It exits once all are gone.
#[test]
fn echo_server_serves_concurrent_clients_past_a_silent_one() {
    const FAST: usize = 4;
    let server = Server::start(&[], 1, 3, guests::C_ECHO_SERVER, &["3", &(FAST + 1).to_string()]);
    let mut slow = server.connect();
    // The fast clients each report when they are done; the slow one waits for all of them.
    let (done_tx, done_rx) = mpsc::channel();
    let fast: Vec<_> = (1..=FAST)
        .map(|id| {
            let mut client = server.connect();
            let done = done_tx.clone();
            std::thread::spawn(move || {
                let messages = messages_of(id);
                echo_exchange(&mut client, &messages);
                client.shutdown(Shutdown::Write).unwrap();
                // The server closes its end once it sees ours closed.
                let mut rest = Vec::new();
                client.read_to_end(&mut rest).expect("end of stream");
                assert!(rest.is_empty());
                done.send(id).unwrap();
                messages.iter().map(Vec::len).sum::<usize>()
            })
        })
        .collect();
    drop(done_tx);
    for _ in 0..FAST {
        // A fast client that failed drops its sender without sending: this ends early.
        done_rx.recv_timeout(STEP * 2).expect("a fast client was served while the slow one was silent");
    }
    let mut total: usize = fast.into_iter().map(|t| t.join().expect("fast client")).sum();
    // Only now does the slow client speak.
    let messages = messages_of(0);
    echo_exchange(&mut slow, &messages);
    total += messages.iter().map(Vec::len).sum::<usize>();
    drop(slow);

    let out = server.finish();
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    let summary = out.stdout.strip_prefix(&format!("served {} clients, echoed {total} bytes, at most ", FAST + 1));
    let at_once: usize = summary
        .and_then(|s| s.strip_suffix(" at once\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected summary: {:?}\nstderr:\n{}", out.stdout, out.stderr));
    // The slow client was connected all along, so at least one other was served beside it.
    assert!((2..=FAST + 1).contains(&at_once), "{}", out.stdout);
    assert_eq!(out.stderr, "");
}

/// `sock_accept`, `sock_recv` (peek, wait-all, several buffers), `sock_send`, `sock_shutdown`,
/// non-blocking mode, `fd_read`/`fd_write` and `poll_oneoff` on accepted connections, step by
/// step with two clients (see the guest for the steps).
#[test]
fn sock_calls_on_accepted_connections() {
    let mut server = Server::start(&[], 1, 3, guests::SOCK_CONN, &["3"]);
    server.expect_line("accepting");
    // Let the guest block in sock_accept first.
    std::thread::sleep(Duration::from_millis(200));
    let mut a = server.connect();
    a.write_all(b"peekaboo").unwrap();
    let mut buf = [0u8; 16];
    a.read_exact(&mut buf[..5]).unwrap();
    assert_eq!(&buf[..5], b"send1");
    a.write_all(b"hello ").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    a.write_all(b"world").unwrap();
    a.read_exact(&mut buf[..7]).unwrap();
    assert_eq!(&buf[..7], b"fdwrite");
    a.write_all(b"fdread").unwrap();
    // The guest shuts down writing: end of stream here.
    assert_eq!(a.read(&mut buf).expect("end of stream"), 0);
    a.write_all(b"after-wr").unwrap();

    server.expect_line("second");
    let mut b = server.connect();
    b.write_all(b"bye").unwrap();
    drop(b);

    server.expect_line("done");
    let out = server.finish();
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    drop(a);
}

/// `sock_*` errors needing no client, with a preopen (fd 3) and two listeners after it
/// (fds 4 and 5): see the guest.
#[test]
fn sock_errors_without_a_client() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "contents");
    let dir = vec!["--dir".to_string(), format!("{}::.", sandbox.dir().display())];
    let server = Server::start(&dir, 2, 4, guests::SOCK_ERRORS, &["4", "5"]);
    let out = server.finish();
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "sock errors ok\n");
    assert_eq!(out.stderr, "");
    assert_eq!(sandbox.read("file.txt"), "contents");
}

/// An address already in use: exit 1 before the guest runs, with one line naming it.
#[test]
fn tcplisten_on_an_address_in_use_fails() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Run::new().opts(["--tcplisten", &addr]).run(guests::C_ECHO_SERVER, &["3", "1"]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("lucent: error: ") && lines[0].contains(&format!("`{addr}`")), "{}", lines[0]);
    assert!(lines[0].contains("in use"), "{}", lines[0]);
    drop(taken);
}

/// Malformed addresses: exit 1 with one line naming the address.
#[test]
fn tcplisten_with_a_malformed_address_fails() {
    for spec in ["127.0.0.1", "127.0.0.1:99999", "127.0.0.1:port", "127.0.0.1:-1"] {
        let out = Run::new().opts(["--tcplisten", spec]).run(guests::C_ECHO_SERVER, &["3", "1"]);
        out.expect_code(1);
        assert_eq!(out.stdout, "");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{spec}: {}", out.stderr);
        assert!(lines[0].starts_with("lucent: error: ") && lines[0].contains(&format!("`{spec}`")), "{}", lines[0]);
    }
}
