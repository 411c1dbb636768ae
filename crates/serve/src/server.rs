//! The HTTP side: accepting connections, reading a request within its limits, admitting it
//! (at most `--max-instances` guests at once, at most `--max-queue` waiting), running its
//! guest off the async threads, and answering from what the guest wrote.

use crate::app::{App, Apps, Job, Ran};
use crate::options::ServeArgs;
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The log's target for the access log.
const ACCESS: &str = "lucent::serve::access";

/// What every connection shares.
struct State {
    apps: Arc<Apps>,
    /// One permit per guest that may run at once.
    slots: Arc<Semaphore>,
    /// Requests waiting for a permit (the queue).
    waiting: AtomicUsize,
    max_queue: usize,
    max_request_body: usize,
    body_timeout: Duration,
    next_id: AtomicU64,
    local: SocketAddr,
    /// `--no-guest`.
    no_guest: bool,
}

/// Serves as `args` say until SIGINT or SIGTERM, then lets requests in flight finish (up to
/// `--shutdown-timeout`).
///
/// # Errors
///
/// If the application cannot be loaded or the address cannot be listened on.
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let apps = crate::app::load(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Guests run as tasks; a wait on a descriptor moves to the blocking pool (one
        // thread each while it lasts, --max-instances at most).
        .max_blocking_threads(usize::try_from(args.max_instances).unwrap_or(usize::MAX).saturating_add(4))
        .build()
        .context("cannot start the server's threads")?;
    runtime.block_on(run(apps, args))
}

/// Connections the kernel completes while the server is busy wait in a queue this long (the
/// kernel caps it at `net.core.somaxconn`, 4096 by default): past it, a client's handshake is
/// dropped and retried only a second later. Tokio's default, 1024, overflowed with thousands
/// of clients connecting at once.
const BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    // As std and tokio do: a restarted server can take its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn run(apps: Apps, args: &ServeArgs) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let listener = listen(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr().context("cannot read the listening address")?;
    let routes: Vec<String> =
        apps.routes.iter().map(|(route, app)| format!("{} → {}", route.pattern(), app.shown)).collect();
    let state = Arc::new(State {
        apps: Arc::new(apps),
        slots: Arc::new(Semaphore::new(usize::try_from(args.max_instances).unwrap_or(usize::MAX))),
        waiting: AtomicUsize::new(0),
        max_queue: args.max_queue,
        max_request_body: usize::try_from(args.max_request_body).unwrap_or(usize::MAX),
        body_timeout: Duration::from_nanos(args.body_timeout),
        next_id: AtomicU64::new(1),
        local,
        no_guest: args.no_guest,
    });
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    eprintln!("lucent: serving http://{local}/ ({})", routes.join(", "));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of descriptors, say: wait a little rather than spin.
                        tracing::warn!(target: "lucent::serve", "accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = hyper::service::service_fn(move |request| handle(state.clone(), peer, request));
                // With a timer, hyper closes a connection whose request headers take over 30 s (its
                // default), idle keep-alive ones included: a slow client holds a socket, no more.
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(target: "lucent::serve", "connection from {peer}: {e}");
                    }
                });
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    drop(listener);
    let patience = Duration::from_nanos(args.shutdown_timeout);
    eprintln!("lucent: shutting down: requests in flight have {patience:?} to finish");
    match tokio::time::timeout(patience, graceful.shutdown()).await {
        Ok(()) => eprintln!("lucent: stopped"),
        Err(_) => eprintln!("lucent: stopped; requests still in flight after --shutdown-timeout were cut off"),
    }
    if let Some(summary) = state.apps.timings.summary() {
        tracing::info!(target: "lucent::serve::timing", "{summary}");
    }
    Ok(())
}

/// Answers one request and writes its access log line.
async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = respond(&state, id, peer, request).await;
    let bytes = hyper::body::Body::size_hint(response.body()).exact().unwrap_or(0);
    tracing::info!(
        target: ACCESS,
        "{id} {peer} {method} {path} {} {bytes}B {:.1}ms",
        response.status().as_u16(),
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(response)
}

/// A plain-text answer from the server itself.
fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// Counts a request as waiting while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A permit of `semaphore`: at once if one is free, else after waiting in the queue, or none
/// if the queue is full.
async fn admit(state: &State, semaphore: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = semaphore.clone().try_acquire_owned() {
        return Some(permit);
    }
    if state.waiting.fetch_add(1, Ordering::SeqCst) >= state.max_queue {
        state.waiting.fetch_sub(1, Ordering::SeqCst);
        return None;
    }
    let _waiting = Waiting(&state.waiting);
    semaphore.clone().acquire_owned().await.ok()
}

async fn respond(state: &State, id: u64, peer: SocketAddr, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let Some((route, app, script_name, path_info)) = state.apps.routes.find(&path) else {
        return plain(StatusCode::NOT_FOUND, "no route serves this path");
    };
    let (parts, body) = request.into_parts();
    // The body, whole, before any guest starts: a slow client holds no instance.
    let body =
        match tokio::time::timeout(state.body_timeout, Limited::new(body, state.max_request_body).collect()).await {
            Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "the request body took longer than --body-timeout"),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return plain(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than --max-request-body");
            }
            Ok(Err(_)) => return plain(StatusCode::BAD_REQUEST, "the request body could not be read"),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
    let headers: Vec<(&str, &[u8])> =
        parts.headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect();
    let query = parts.uri.query().unwrap_or("");
    let host = state.local.ip().to_string();
    let remote = peer.ip().to_string();
    let protocol = format!("{:?}", parts.version);
    let wagi_request = lucent_wagi::Request {
        method: parts.method.as_str(),
        path: &path,
        query,
        protocol: &protocol,
        headers: &headers,
        content_length: body.len(),
        server_name: &host,
        server_port: state.local.port(),
        remote_addr: &remote,
    };
    let env = lucent_wagi::environment(&wagi_request, route, script_name, path_info);
    let argv = lucent_wagi::arguments(app.argv.as_deref(), script_name, query);
    let busy = || plain(StatusCode::SERVICE_UNAVAILABLE, "too many requests are waiting; try again later");
    // The route's own limit first, so that a route at its limit holds none of the server's.
    let _route_permit = match &app.limit {
        Some(limit) => match admit(state, limit).await {
            Some(permit) => Some(permit),
            None => return busy(),
        },
        None => None,
    };
    let Some(_permit) = admit(state, &state.slots).await else {
        return busy();
    };
    if state.no_guest {
        return plain(StatusCode::OK, "Hello, world!");
    }
    let job = Job { id, env, argv, body };
    let ran = run_guest(state, app.clone(), job).await;
    let parsing = Instant::now();
    let response = answer(id, app, ran);
    state.apps.timings.parsed(parsing);
    response
}

/// Runs the guest as a task of its own, so that a panic in it is this request's 500 and not
/// the connection's end.
async fn run_guest(state: &State, app: Arc<App>, job: Job) -> Ran {
    let apps = state.apps.clone();
    tokio::spawn(async move { apps.run(&app, job).await })
        .await
        .unwrap_or_else(|e| Ran::Failed(format!("the guest's task failed: {e}")))
}

/// Headers a guest may not set: the server frames the response itself.
const FRAMING: [&str; 4] = ["content-length", "transfer-encoding", "connection", "keep-alive"];

/// The answer for how a guest ended; faults are logged with the request id and answered with
/// a short text that does not echo the guest.
fn answer(id: u64, app: &App, ran: Ran) -> Response<Full<Bytes>> {
    let fault = |status: StatusCode, what: &str, detail: &str| {
        tracing::warn!(target: "lucent::serve", request = id, "`{}` {what}: {detail}", app.shown);
        plain(status, what)
    };
    match ran {
        Ran::Finished { status, stdout } => {
            if status != 0 {
                tracing::warn!(target: "lucent::serve", request = id, "`{}` exited with status {status}", app.shown);
            }
            match lucent_wagi::parse_response(&stdout) {
                Ok(parsed) => {
                    let mut response = Response::new(Full::new(Bytes::from(parsed.body)));
                    *response.status_mut() =
                        StatusCode::from_u16(parsed.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    for (name, value) in parsed.headers {
                        if FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f)) {
                            continue;
                        }
                        if let (Ok(name), Ok(value)) =
                            (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(&value))
                        {
                            response.headers_mut().append(name, value);
                        }
                    }
                    response
                }
                Err(e) => {
                    fault(StatusCode::INTERNAL_SERVER_ERROR, "the guest wrote no valid CGI response", &e.to_string())
                }
            }
        }
        Ran::Overflowed => {
            fault(StatusCode::INTERNAL_SERVER_ERROR, "the guest wrote more than --max-response-body", "cut off")
        }
        Ran::Trapped(why) => fault(StatusCode::INTERNAL_SERVER_ERROR, "the guest trapped", &why),
        Ran::TimedOut => fault(StatusCode::GATEWAY_TIMEOUT, "the guest ran past --timeout", "stopped"),
        Ran::Failed(why) => fault(StatusCode::INTERNAL_SERVER_ERROR, "the guest could not be run", &why),
    }
}
