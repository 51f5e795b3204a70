//! The HTTP side: binding, connections, and the life of one request from bytes in to bytes out.
//!
//! Owns [`Config`], [`Server`] and the per-request pipeline: read the body, parse parameters, fire
//! faults, authenticate, run the action on a draft of the state, persist the draft, render the XML,
//! log. Each request is handled in its own task so that a client giving up mid-delay cannot leave a
//! half-done request behind: it is finished and logged whatever the connection does.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, DATE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::actions::{self, Context};
use super::answer::{AnswerBody, HOSTILE_MESSAGE};
use super::clock::{self, Clock};
use super::error::ApiError;
use super::faults::{Fault, FaultKind, Faults};
use super::log::{LogEntry, RequestLog};
use super::query::{self, Service};
use super::sigv4::{self, RequestParts};
use super::state::State;
use super::totp::CodeWindow;

/// Bodies larger than this are refused; Query requests are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;

/// How to run an endpoint.
#[derive(Debug, Clone)]
pub struct Config {
    /// The initial state.
    pub state: State,
    /// Where to persist the state (atomically, mode 0600) after each change; `None` keeps it in memory.
    pub state_file: Option<PathBuf>,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// Which time steps around server time the second code of an Enable or Resync pair may be
    /// from. [`CodeWindow::AWS`] (the default): the current step or the previous one, never a
    /// future step. [`CodeWindow::either_side`] widens it for a drifted token;
    /// `CodeWindow { behind: 0, ahead: 0 }` is the current step only.
    pub code_window: CodeWindow,
    /// List actions answer in short pages (on by default): a list longer than
    /// [`crate::iam_local::actions::SHORT_PAGE`] items comes at most that many a page, with
    /// `IsTruncated` true, whatever MaxItems asks, as IAM is allowed to answer. Markers hold `+`,
    /// `/` and `=` either way. Off, every page holds MaxItems items (the last one fewer).
    pub short_pages: bool,
    /// Server time = host time + this; it drives `Date`, the SigV4 time check and TOTP.
    pub clock_offset_secs: i64,
    /// Append each log entry as a JSON line to this file.
    pub log_file: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Answers `CreateVirtualMFADevice` naming this serial instead of the device it made, as a
    /// rewriting proxy would (the device made is the one asked for).
    pub create_answers_serial: Option<String>,
}

impl Config {
    /// `state` in memory on an ephemeral port, no faults, AWS's code window, short pages, no clock
    /// offset, no log file.
    pub fn new(state: State) -> Config {
        Config {
            state,
            state_file: None,
            faults: Vec::new(),
            code_window: CodeWindow::AWS,
            short_pages: true,
            clock_offset_secs: 0,
            log_file: None,
            port: 0,
            create_answers_serial: None,
        }
    }
}

/// What every request handler shares.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    state_file: Option<PathBuf>,
    faults: Faults,
    code_window: CodeWindow,
    short_pages: bool,
    clock: Clock,
    log: RequestLog,
    create_answers_serial: Option<String>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running endpoint; it stops when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1:`config.port` and serves in a task of the current tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(config.state),
            state_file: config.state_file,
            faults: Faults::new(config.faults),
            code_window: config.code_window,
            short_pages: config.short_pages,
            clock: Clock::new(config.clock_offset_secs),
            log: RequestLog::open(config.log_file.as_deref())?,
            create_answers_serial: config.create_answers_serial,
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(Server {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far, in the order they finished.
    pub fn log(&self) -> Vec<LogEntry> {
        self.shared.log.entries()
    }

    /// A snapshot of the state.
    pub fn state(&self) -> State {
        self.shared.state().clone()
    }

    /// Changes the state in memory (not the state file), e.g. to expire a key mid-test.
    pub fn update_state<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        change(&mut self.shared.state())
    }

    /// Moves server time relative to host time.
    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.clock.set_offset(secs);
    }

    /// Server time minus host time, in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.shared.clock.offset()
    }

    /// Server time, Unix seconds: what TOTP counters are computed from.
    pub fn now(&self) -> i64 {
        self.shared.clock.now()
    }

    /// Arms one more fault.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.faults.add(fault);
    }

    /// Stops accepting and closes open connections (requests already running still finish).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_now();
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    // Owning the connections here means aborting this task closes them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(Arc::clone(&shared), req));
                    // Errors here are clients going away or our deliberate drops.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Returned to hyper to make it close the connection without answering (the `drop` fault).
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// The answer to one request, before it becomes an HTTP response.
struct Reply {
    status: u16,
    body: AnswerBody,
    request_id: String,
    date: String,
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<AnswerBody>, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes());
    let work = tokio::spawn(process(shared, parts, body.map_err(|_| ())));
    match work.await {
        Ok(Some(reply)) => Ok(render(reply)),
        Ok(None) => Err(DropConnection),
        Err(_) => {
            let err = ApiError::service_failure();
            let request_id = query::new_request_id();
            Ok(render(Reply {
                status: err.status,
                body: query::error_document(Service::Iam, &err, &request_id).into(),
                request_id,
                date: clock::http_date(clock::host_now()),
            }))
        }
    }
}

fn render(reply: Reply) -> Response<AnswerBody> {
    let mut response = Response::new(reply.body);
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(date) = HeaderValue::from_str(&reply.date) {
        headers.insert(DATE, date);
    }
    if let Ok(id) = HeaderValue::from_str(&reply.request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

/// One request from parameters to reply and log entry; `None` means drop the connection.
async fn process(
    shared: Arc<Shared>,
    parts: hyper::http::request::Parts,
    body: Result<Bytes, ()>,
) -> Option<Reply> {
    let arrived = shared.clock.now();
    let request_id = query::new_request_id();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body_bytes = body.clone().unwrap_or_default();
    let query_string = parts.uri.query().unwrap_or("");
    let form = (parts.method == Method::POST).then_some(&body_bytes[..]);
    let params = query::parse_params(query_string, form);
    let action = params.get("Action").cloned().unwrap_or_default();
    let req = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: query_string,
        headers: &headers,
        body: &body_bytes,
    };
    let scope = sigv4::parse_authorization(&req).ok();
    let scope_service = scope.as_ref().and_then(|a| Service::from_scope(&a.service));
    let service = scope_service.unwrap_or_else(|| Service::guess(&params));
    let mut entry = LogEntry {
        time: clock::rfc3339(arrived),
        service: scope_service
            .map(|s| s.name().to_owned())
            .unwrap_or_default(),
        region: scope.as_ref().map(|a| a.region.clone()).unwrap_or_default(),
        action: action.clone(),
        access_key_id: scope.map(|a| a.access_key_id),
        params: params.clone(),
        status: 0,
        error_code: None,
        request_id: request_id.clone(),
        fault: None,
        counters: None,
    };

    let triggered = shared.faults.take(&action);
    entry.fault = triggered.describe();
    if !triggered.delay.is_zero() {
        tokio::time::sleep(triggered.delay).await;
    }
    // Time is read again after a delay, as a slow server would.
    let now = shared.clock.now();
    let date = clock::http_date(now.saturating_add_unsigned(triggered.date_ahead));
    let forged = match triggered.outcome {
        Some(FaultKind::Drop) => {
            shared.log.record(entry);
            return None;
        }
        Some(FaultKind::ErrorAt200) => Some(AnswerBody::from(query::error_document(
            service,
            &ApiError::service_failure(),
            &request_id,
        ))),
        Some(FaultKind::GarbageAt200) => Some(AnswerBody::garbage()),
        Some(FaultKind::Huge) => Some(AnswerBody::huge()),
        _ => None,
    };
    if let Some(body) = forged {
        entry.status = 200;
        shared.log.record(entry);
        return Some(Reply {
            status: 200,
            body,
            request_id,
            date,
        });
    }
    let result = match triggered.outcome {
        Some(FaultKind::ServiceFailure) => Err(ApiError::service_failure()),
        Some(FaultKind::Throttle) => Err(ApiError::throttling()),
        Some(FaultKind::Hostile) => Err(ApiError::new(400, "InvalidInput", HOSTILE_MESSAGE)),
        _ if body.is_err() => Err(ApiError::new(
            413,
            "RequestEntityTooLarge",
            "Request body too large",
        )),
        Some(FaultKind::ServiceFailureAfter) => {
            let (result, counters) = answer(&shared, &req, service, &action, &params, now);
            entry.counters = counters;
            result.and(Err(ApiError::service_failure()))
        }
        _ => {
            let (result, counters) = answer(&shared, &req, service, &action, &params, now);
            entry.counters = counters;
            result
        }
    };
    let (status, body) = match result {
        Ok(inner) => (
            200,
            query::success_document(service, &action, inner.as_deref(), &request_id),
        ),
        Err(err) => {
            entry.error_code = Some(err.code.to_owned());
            (
                err.status,
                query::error_document(service, &err, &request_id),
            )
        }
    };
    entry.status = status;
    shared.log.record(entry);
    Some(Reply {
        status,
        body: body.into(),
        request_id,
        date,
    })
}

type Answer = (Result<Option<String>, ApiError>, Option<(u64, u64)>);

/// Authenticates and runs the action on a draft of the state, committing the draft (and the state
/// file) only if the action succeeds and the file could be written.
fn answer(
    shared: &Shared,
    req: &RequestParts<'_>,
    service: Service,
    action: &str,
    params: &BTreeMap<String, String>,
    now: i64,
) -> Answer {
    let mut state = shared.state();
    let caller = match actions::authenticate(&state, req, now) {
        Ok(caller) => caller,
        Err(err) => return (Err(err), None),
    };
    let mut draft = state.clone();
    let mut ctx = Context {
        state: &mut draft,
        caller: &caller.principal,
        now,
        code_window: shared.code_window,
        short_pages: shared.short_pages,
    };
    let outcome = match actions::perform(service, action, params, &mut ctx) {
        Ok(outcome) => outcome,
        Err(err) => return (Err(err), None),
    };
    if outcome.changed {
        if let Some(path) = &shared.state_file
            && let Err(err) = draft.save(path)
        {
            eprintln!("iam-local: {err}");
            return (Err(ApiError::service_failure()), None);
        }
        *state = draft;
    }
    let result = match (&shared.create_answers_serial, outcome.result) {
        (Some(other), Some(xml)) if action == "CreateVirtualMFADevice" => Some(
            xml.split("<SerialNumber>")
                .enumerate()
                .map(|(i, part)| match (i, part.split_once("</SerialNumber>")) {
                    (0, _) | (_, None) => part.to_string(),
                    (_, Some((_, rest))) => format!("<SerialNumber>{other}</SerialNumber>{rest}"),
                })
                .collect(),
        ),
        (_, result) => result,
    };
    (Ok(result), outcome.counters)
}
