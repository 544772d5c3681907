//! One local HTTP server that stands in for every public service the book's listings call:
//! GitHub's events API, ipify, ip-api and Hacker News, with their paths, headers and JSON
//! shapes, so that every listing runs offline and the tests never touch the internet.
//!
//! A listing switches to the stand-in when the `BOOK_STAND_IN` environment variable holds the
//! stand-in's base URL: it keeps the real URL's path and query and replaces only the scheme,
//! host and port. The base URL may end in a scenario prefix, `/scenario/<rules>`, that makes
//! the services slow or broken for that run (see [`scenario`] and the README).
//!
//! Tests start one in-process:
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! let server = stand_in::spawn(stand_in::Config::default()).await?;
//! let events = format!("{}/events", server.base_url());
//! let slow_ipify = format!("{}?format=json", server.scenario_url("ipify.latency=2s"));
//! server.shutdown().await?; // or just let `server` go out of scope
//! # Ok(())
//! # }
//! ```

mod failures;
pub mod hacker_news;
pub mod scenario;
mod stats;

// The README's Rust block runs as a doctest, so that its example of the library stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
mod services;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::serve::{Listener, ListenerExt as _};
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::{Layer as _, ServiceExt as _};

pub use scenario::{Behaviour, Failure, Latency, Nth, Scenario, ScenarioError, Service};
pub use services::{DOCUMENTATION_IP, RETRY_AFTER_SECONDS};
use services::{HackerNewsPath, RequestFacts};
use stats::Tracker;
pub use stats::{LOG_LIMIT, RequestRecord, Stats, peak_in_flight};

/// The stand-in's own path, answered after an optional scenario prefix too: the counts of
/// [`Stats`] as JSON; with `?reset`, the counts so far, and the counting starts afresh.
pub const STATS_PATH: &str = "/stand-in/stats";

/// The environment variable every HTTP listing reads to find the stand-in.
pub const ENV_VAR: &str = "BOOK_STAND_IN";

/// How long [`StandIn::shutdown`] lets open connections finish before giving up on them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a client may take to send a request's headers, from the moment the stand-in
/// starts reading them (a new connection, or the end of the previous answer on a kept-alive
/// one). After that the connection is closed, so that half-sent requests, or idle
/// connections, cannot hold the server's sockets for ever. Ten seconds: far more than any
/// listing takes to send a request, and short enough that a forgotten connection goes soon.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections may wait to be accepted (the kernel caps it at `somaxconn`).
const LISTEN_BACKLOG: u32 = 1024;

/// Where to listen and how to behave for the whole run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Default: `127.0.0.1:0`, a free port on loopback, which is what tests want.
    pub addr: SocketAddr,
    /// Rules for every request; a request's own scenario prefix wins over them.
    /// Default: none, so the services answer at once and correctly.
    pub scenario: Scenario,
    /// Default: [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            scenario: Scenario::default(),
            header_read_timeout: HEADER_READ_TIMEOUT,
        }
    }
}

/// A running stand-in. Dropping it stops the server too, without waiting.
#[derive(Debug)]
pub struct StandIn {
    addr: SocketAddr,
    base_url: String,
    shutting_down: CancellationToken,
    server: Option<JoinHandle<io::Result<()>>>,
    tracker: Arc<Tracker>,
}

/// Starts a stand-in on the current Tokio runtime and returns once it is listening, so the
/// first request cannot race the server's start.
pub async fn spawn(config: Config) -> io::Result<StandIn> {
    let socket = match config.addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted stand-in may reuse a port whose old
    // connections are still in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(config.addr)?;
    // Room for a burst of new connections (the load test opens 1,000 at once); the
    // default backlog is smaller, and connections beyond it wait a second for a SYN retry.
    let listener = socket.listen(LISTEN_BACKLOG)?;
    let addr = listener.local_addr()?;
    // Small answers should leave at once, not wait for Nagle's algorithm.
    let listener = listener.tap_io(|connection| {
        let _ = connection.set_nodelay(true);
    });
    hacker_news::grow_now();
    let shutting_down = CancellationToken::new();
    let state = AppState::new(config.scenario, shutting_down.clone());
    let tracker = Arc::clone(&state.tracker);
    let app = app(state);
    let server = serve(
        listener,
        app,
        shutting_down.clone(),
        config.header_read_timeout,
    );
    Ok(StandIn {
        addr,
        base_url: format!("http://{}", connectable(addr)),
        shutting_down,
        server: Some(tokio::spawn(server)),
        tracker,
    })
}

/// Every route, behind the scenario prefix and the request counting.
fn app(
    state: AppState,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ 'static {
    let tracker = Arc::clone(&state.tracker);
    let services = services_router(state);
    // The prefix layer wraps the router rather than sitting inside it, because a router
    // matches the path before its own layers run. Counting wraps both, so that it also
    // sees a request whose prefix is wrong.
    let with_prefix = axum::middleware::map_request(take_scenario_prefix).layer(services);
    axum::middleware::from_fn_with_state(tracker, count_request).layer(with_prefix)
}

/// What `axum::serve(...).with_graceful_shutdown(...)` does, plus a header-read timeout,
/// which axum offers no way to set: accept connections until `shutting_down` is cancelled,
/// serve each on a task of its own, then let every open connection finish its answer.
async fn serve<A>(
    mut listener: impl Listener,
    app: A,
    shutting_down: CancellationToken,
    header_read_timeout: Duration,
) -> io::Result<()>
where
    A: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    A::Future: Send,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper only keeps the header-read timeout when it has a timer to measure it with.
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = GracefulShutdown::new();
    loop {
        let (io, _remote) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutting_down.cancelled() => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = connections.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            // A failed connection (a client that went away, or the header-read timeout)
            // concerns that client alone.
            let _ = connection.await;
        });
    }
    // Stop listening at once, then wait for the open connections.
    drop(listener);
    connections.shutdown().await;
    Ok(())
}

impl StandIn {
    /// `http://127.0.0.1:<port>`, without a trailing slash: the value for `BOOK_STAND_IN`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL with a scenario prefix, e.g. `scenario_url("ipify.fail=500")` gives
    /// `http://127.0.0.1:<port>/scenario/ipify.fail=500`. The rules are checked by the server
    /// when a request arrives; a mistake comes back as a 400 whose body says what is wrong.
    pub fn scenario_url(&self, rules: &str) -> String {
        format!("{}{}{rules}", self.base_url, scenario::PREFIX)
    }

    /// The counts since the start, or since the last reset; as `GET /stand-in/stats`.
    pub fn stats(&self) -> Stats {
        self.tracker.stats()
    }

    /// Starts the counts and the request log afresh, as `GET /stand-in/stats?reset` does,
    /// and returns the counts as they were.
    pub fn reset_stats(&self) -> Stats {
        self.tracker.reset()
    }

    /// Every request since the start or the last reset, in the order they arrived (the last
    /// [`LOG_LIMIT`] of them), with its service, path, status and times.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.tracker.requests()
    }

    /// The moment the request log's times (`arrived`, `answered`) are measured from: this
    /// stand-in's start. The book's timelines use it to put the requests on a run's clock.
    pub fn started(&self) -> std::time::Instant {
        self.tracker.started().into_std()
    }

    /// Stops accepting connections, ends hanging and waiting responses, and waits up to
    /// [`SHUTDOWN_GRACE`] for open connections to finish.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.shutting_down.cancel();
        let Some(server) = self.server.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(io::Error::other(join_error)),
            Err(_elapsed) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connections were still open {SHUTDOWN_GRACE:?} after shutdown began"),
            )),
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // The server task sees this, stops accepting at once and finishes on its own.
        self.shutting_down.cancel();
    }
}

/// A client cannot connect to 0.0.0.0 or [::]; it reaches such a server on loopback.
fn connectable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

#[derive(Clone)]
struct AppState {
    run_scenario: Scenario,
    shutting_down: CancellationToken,
    tracker: Arc<Tracker>,
    /// How many Hacker News requests each scenario text has had, for `hn.fail-at` and
    /// `hn.fail-every`.
    hacker_news_requests: Arc<Mutex<HashMap<String, u64>>>,
}

impl AppState {
    fn new(run_scenario: Scenario, shutting_down: CancellationToken) -> AppState {
        AppState {
            run_scenario,
            shutting_down,
            tracker: Tracker::new(),
            hacker_news_requests: Arc::default(),
        }
    }

    /// Counts one more Hacker News request for the scenario text `rules` and returns its
    /// number, from 1.
    fn count_hacker_news_request(&self, rules: &str) -> u64 {
        let mut counts = self
            .hacker_news_requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(rules.to_owned()).or_insert(0);
        *count += 1;
        *count
    }
}

/// The scenario prefix's rules as written, handed to the handlers with the parsed scenario.
#[derive(Clone, Debug, Default)]
struct ScenarioText(Arc<str>);

/// The services at their real paths, and the stand-in's own statistics.
fn services_router(state: AppState) -> Router {
    Router::new()
        .route("/events", handler(Service::GitHub))
        .route("/", handler(Service::Ipify))
        .route("/json", handler(Service::IpApi))
        .route("/v0/topstories.json", get(hacker_news_top_stories))
        .route("/v0/item/{file}", get(hacker_news_item))
        .route(STATS_PATH, get(stats_answer))
        .fallback(no_such_service)
        .with_state(state)
}

/// `GET` for one service; the scenario comes from [`take_scenario_prefix`].
fn handler(service: Service) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              Extension(scenario): Extension<Scenario>,
              Extension(ScenarioText(text)): Extension<ScenarioText>,
              headers: HeaderMap,
              uri: Uri| async move {
            answer(
                service,
                &state,
                &scenario,
                &text,
                request_facts(&headers, &uri),
            )
            .await
        },
    )
}

/// `GET /v0/topstories.json`.
async fn hacker_news_top_stories(
    State(state): State<AppState>,
    Extension(scenario): Extension<Scenario>,
    Extension(ScenarioText(text)): Extension<ScenarioText>,
) -> Response {
    hacker_news_answer(HackerNewsPath::TopStories, &state, &scenario, &text).await
}

/// `GET /v0/item/{id}.json`. Firebase answers `null` for an id that is no item, a number or
/// not; without `.json` the path names none of the stand-in's resources.
async fn hacker_news_item(
    State(state): State<AppState>,
    Extension(scenario): Extension<Scenario>,
    Extension(ScenarioText(text)): Extension<ScenarioText>,
    Path(file): Path<String>,
    request: Request,
) -> Response {
    match file.strip_suffix(".json") {
        Some(id) => {
            let path = HackerNewsPath::Item(id.parse().ok());
            hacker_news_answer(path, &state, &scenario, &text).await
        }
        None => no_such_service(request).await,
    }
}

async fn hacker_news_answer(
    path: HackerNewsPath,
    state: &AppState,
    scenario: &Scenario,
    text: &str,
) -> Response {
    let facts = RequestFacts {
        hacker_news: Some(path),
        ..RequestFacts::default()
    };
    answer(Service::HackerNews, state, scenario, text, facts).await
}

/// `GET /stand-in/stats[?reset]`.
async fn stats_answer(State(state): State<AppState>, uri: Uri) -> Response {
    let reset = uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair == "reset" || pair.starts_with("reset="))
    });
    let stats = if reset {
        state.tracker.reset()
    } else {
        state.tracker.stats()
    };
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        stats.to_json(),
    )
        .into_response()
}

/// The service whose real path `path` is, if any.
fn service_of(path: &str) -> Option<Service> {
    match path {
        "/events" => Some(Service::GitHub),
        "/" => Some(Service::Ipify),
        "/json" => Some(Service::IpApi),
        "/v0/topstories.json" => Some(Service::HackerNews),
        _ if path.starts_with("/v0/item/") => Some(Service::HackerNews),
        _ => None,
    }
}

/// Counts every request but those for the statistics themselves, and logs it.
async fn count_request(
    State(tracker): State<Arc<Tracker>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let (rules, real_path) = match scenario::split_path(request.uri().path()) {
        Ok((_, real_path)) => (
            scenario::rules_text(request.uri().path()).to_owned(),
            real_path,
        ),
        Err(_) => (String::new(), request.uri().path().to_owned()),
    };
    if real_path == STATS_PATH {
        return next.run(request).await;
    }
    let service = service_of(&real_path);
    let path = match request.uri().query() {
        Some(query) => format!("{real_path}?{query}"),
        None => real_path,
    };
    let in_flight = tracker.arrive(service, rules, path);
    let response = next.run(request).await;
    in_flight.answered(response.status());
    response
}

/// Takes the scenario prefix off the path, so that the router sees the real service's path,
/// and hands the scenario to the handlers as a request extension.
async fn take_scenario_prefix(mut request: Request) -> Result<Request, Response> {
    let bad_request = |message: String| (StatusCode::BAD_REQUEST, message).into_response();
    let (scenario, real_path) = scenario::split_path(request.uri().path())
        .map_err(|error| bad_request(format!("stand-in: bad scenario: {error}\n")))?;
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{real_path}?{query}"),
        None => real_path,
    };
    let text = ScenarioText(scenario::rules_text(request.uri().path()).into());
    *request.uri_mut() = path_and_query
        .parse::<Uri>()
        .map_err(|error| bad_request(format!("stand-in: bad path: {error}\n")))?;
    request.extensions_mut().insert(scenario);
    request.extensions_mut().insert(text);
    Ok(request)
}

async fn no_such_service(request: Request) -> Response {
    let message = format!(
        "stand-in: nothing at {}; it answers GET /events (GitHub), GET /?format=json (ipify), \
         GET /json (ip-api), GET /v0/item/<id>.json and GET /v0/topstories.json \
         (Hacker News), each optionally after a /scenario/<rules> prefix\n",
        request.uri().path()
    );
    (StatusCode::NOT_FOUND, message).into_response()
}

fn request_facts(headers: &HeaderMap, uri: &Uri) -> RequestFacts {
    RequestFacts {
        // An empty User-Agent says no more than a missing one, and GitHub wants a valid one.
        has_user_agent: headers
            .get(USER_AGENT)
            .is_some_and(|agent| !agent.as_bytes().trim_ascii().is_empty()),
        wants_json: uri
            .query()
            .is_some_and(|query| query.split('&').any(|pair| pair == "format=json")),
        hacker_news: None,
    }
}

/// One request to one service: wait as long as the scenario says, then answer like the real
/// service or fail the way the scenario says. `rules` is the scenario prefix as written,
/// which Hacker News's position rules count by.
async fn answer(
    service: Service,
    state: &AppState,
    request_scenario: &Scenario,
    rules: &str,
    facts: RequestFacts,
) -> Response {
    let behaviour = Behaviour::for_request(service, &state.run_scenario, request_scenario);
    // Counted on arrival, so that the numbers follow the order the requests were sent in.
    let fails_by_position = service == Service::HackerNews
        && Scenario::nth_failure(service, &state.run_scenario, request_scenario)
            .is_some_and(|nth| nth.hits(state.count_hacker_news_request(rules)));
    let wait = behaviour.latency.sample();
    if !wait.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = state.shutting_down.cancelled() => {
                return (StatusCode::SERVICE_UNAVAILABLE, "stand-in: shutting down\n")
                    .into_response();
            }
        }
    }
    // GitHub turns such requests away at its front door, before anything else can go wrong.
    if service == Service::GitHub && !facts.has_user_agent {
        return services::github_without_user_agent().into_response();
    }
    if fails_by_position {
        return services::server_error().into_response();
    }
    match behaviour.failure {
        None => services::normal_answer(service, facts).into_response(),
        Some(failure) => failures::respond(failure, service, facts, &state.shutting_down),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // These run `answer` on Tokio's paused clock, where a sleep takes no real time and the
    // clock jumps straight to the sleep's end, so waits can be checked exactly. (The
    // integration tests go through real sockets, where a paused clock would also fire the
    // client's own timeouts, so they measure real time with generous bounds instead.)

    fn state() -> AppState {
        AppState::new(Scenario::default(), CancellationToken::new())
    }

    fn scenario(rules: &str) -> Scenario {
        rules.parse().expect("the test's scenario parses")
    }

    const JSON_PLEASE: RequestFacts = RequestFacts {
        has_user_agent: true,
        wants_json: true,
        hacker_news: None,
    };

    #[tokio::test(start_paused = true)]
    async fn a_fixed_latency_delays_the_answer_by_exactly_that_long() {
        let started = tokio::time::Instant::now();
        let response = answer(
            Service::Ipify,
            &state(),
            &scenario("latency=2s"),
            "",
            JSON_PLEASE,
        )
        .await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn a_random_latency_falls_within_its_range_and_varies() {
        let range = Duration::from_secs(1)..=Duration::from_secs(3);
        let mut waits = Vec::new();
        for _ in 0..20 {
            let started = tokio::time::Instant::now();
            answer(
                Service::IpApi,
                &state(),
                &scenario("latency=1s..3s"),
                "",
                JSON_PLEASE,
            )
            .await;
            waits.push(started.elapsed());
        }
        assert!(waits.iter().all(|wait| range.contains(wait)), "{waits:?}");
        assert!(waits.iter().any(|wait| *wait != waits[0]), "{waits:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_latency_for_one_service_leaves_the_others_alone() {
        let only_ipify_slow = scenario("ipify.latency=2s");
        for (service, expected_wait) in [
            (Service::Ipify, Duration::from_secs(2)),
            (Service::IpApi, Duration::ZERO),
            (Service::GitHub, Duration::ZERO),
        ] {
            let started = tokio::time::Instant::now();
            answer(service, &state(), &only_ipify_slow, "", JSON_PLEASE).await;
            assert_eq!(started.elapsed(), expected_wait, "{service:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn shutting_down_ends_a_long_wait_at_once() {
        let state = state();
        let started = tokio::time::Instant::now();
        let a_minute = scenario("latency=60s");
        let waiting = answer(Service::GitHub, &state, &a_minute, "", JSON_PLEASE);
        // `join!` polls `waiting` first, so it is asleep before the token is cancelled; the
        // yield keeps the runtime busy, so the paused clock does not jump ahead a minute.
        let (response, ()) = tokio::join!(waiting, async {
            tokio::task::yield_now().await;
            state.shutting_down.cancel();
        });
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    // The whole app, as the server runs it, without a socket: requests go straight into
    // the router, on the paused clock.

    struct Got {
        status: StatusCode,
        body: String,
    }

    async fn get_from(app: &App, path: &str) -> Got {
        let request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("a request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body");
        Got {
            status,
            body: String::from_utf8(body.to_vec()).expect("UTF-8"),
        }
    }

    type App = tower::util::BoxCloneService<Request, Response, std::convert::Infallible>;

    fn test_app(run_scenario: Scenario) -> (App, Arc<Tracker>) {
        let state = AppState::new(run_scenario, CancellationToken::new());
        let tracker = Arc::clone(&state.tracker);
        (tower::util::BoxCloneService::new(app(state)), tracker)
    }

    fn statuses(got: &[Got]) -> Vec<u16> {
        got.iter().map(|got| got.status.as_u16()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn hacker_news_answers_items_top_stories_and_null() {
        let (app, _tracker) = test_app(Scenario::default());
        for base in ["", "/scenario/latency=0", "/scenario/hn.fail=none/"] {
            let story = get_from(&app, &format!("{base}/v0/item/8863.json")).await;
            assert_eq!(story.status, StatusCode::OK, "{base}");
            assert_eq!(story.body, hacker_news::item_json(8863));
            let top = get_from(&app, &format!("{base}/v0/topstories.json")).await;
            assert_eq!(top.body, hacker_news::top_stories_json());
            for missing in ["1", "abc", "-5"] {
                let null = get_from(&app, &format!("{base}/v0/item/{missing}.json")).await;
                assert_eq!((null.status, null.body.as_str()), (StatusCode::OK, "null"));
            }
        }
        let without_json = get_from(&app, "/v0/item/8863").await;
        assert_eq!(without_json.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test(start_paused = true)]
    async fn hn_latency_delays_hacker_news_alone() {
        let (app, _tracker) = test_app(Scenario::default());
        let started = tokio::time::Instant::now();
        get_from(&app, "/scenario/hn.latency=1.5s/v0/item/8863.json").await;
        assert_eq!(started.elapsed(), Duration::from_millis(1500));
        get_from(&app, "/scenario/hn.latency=1.5s/json").await;
        assert_eq!(started.elapsed(), Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn hn_fail_null_nulls_every_item_but_not_the_top_stories() {
        let (app, _tracker) = test_app(Scenario::default());
        let base = "/scenario/hn.fail=null";
        for id in hacker_news::top_stories().into_iter().take(3).chain([8863]) {
            let item = get_from(&app, &format!("{base}/v0/item/{id}.json")).await;
            assert_eq!((item.status, item.body.as_str()), (StatusCode::OK, "null"));
        }
        let top = get_from(&app, &format!("{base}/v0/topstories.json")).await;
        assert_eq!(top.body, hacker_news::top_stories_json());
    }

    #[tokio::test(start_paused = true)]
    async fn hn_fail_at_fails_the_nth_request_of_each_scenario_text_only() {
        let (app, _tracker) = test_app(Scenario::default());
        let mut got = Vec::new();
        for path in [
            "/v0/topstories.json",
            "/v0/item/8863.json",
            "/v0/item/8952.json",
            "/v0/item/1.json",
            "/v0/topstories.json",
        ] {
            got.push(get_from(&app, &format!("/scenario/hn.fail-at=3{path}")).await);
            // Another text counts on its own, and other services are not counted.
            get_from(&app, "/scenario/hn.fail-at=3,latency=0/v0/topstories.json").await;
            get_from(&app, "/scenario/hn.fail-at=3/json").await;
        }
        assert_eq!(statuses(&got), [200, 200, 500, 200, 200]);
        let other = get_from(&app, "/scenario/hn.fail-at=3,latency=0/v0/topstories.json").await;
        assert_eq!(other.status, StatusCode::OK, "its sixth");
        // Counted from the start: once past, the same text never fails again.
        let later = get_from(&app, "/scenario/hn.fail-at=3/v0/topstories.json").await;
        assert_eq!(later.status, StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn hn_fail_every_fails_every_nth_request() {
        let (app, _tracker) = test_app(Scenario::default());
        let mut got = Vec::new();
        for _ in 0..7 {
            got.push(get_from(&app, "/scenario/hn.fail-every=3/v0/item/8863.json").await);
        }
        assert_eq!(statuses(&got), [200, 200, 500, 200, 200, 500, 200]);
        let taken_back = get_from(
            &app,
            "/scenario/hn.fail-every=1,hn.fail-every=0/v0/item/8863.json",
        );
        assert_eq!(taken_back.await.status, StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn the_run_scenarios_fail_at_counts_requests_without_a_prefix() {
        let (app, _tracker) = test_app(scenario("hn.fail-at=2"));
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(get_from(&app, "/v0/item/8863.json").await);
        }
        assert_eq!(statuses(&got), [200, 500, 200]);
    }

    #[tokio::test(start_paused = true)]
    async fn stats_count_requests_and_the_peak_in_flight() {
        const AT_ONCE: usize = 25;
        let (app, tracker) = test_app(Scenario::default());
        let slow = "/scenario/hn.latency=1s/v0/item/8863.json";
        let started = tokio::time::Instant::now();
        let answers = futures::future::join_all((0..AT_ONCE).map(|_| get_from(&app, slow))).await;
        assert_eq!(started.elapsed(), Duration::from_secs(1), "they overlapped");
        assert!(answers.iter().all(|got| got.status == StatusCode::OK));
        // One more, alone, and a path no service answers.
        get_from(&app, "/v0/topstories.json").await;
        get_from(&app, "/nowhere").await;
        let expected = Stats {
            requests: AT_ONCE + 2,
            in_flight: 0,
            peak_in_flight: AT_ONCE,
        };
        assert_eq!(tracker.stats(), expected);
        // The statistics themselves are not counted, with or without a prefix.
        let shown = get_from(&app, STATS_PATH).await;
        assert_eq!(shown.body, expected.to_json());
        let prefixed = get_from(&app, &format!("/scenario/latency=0{STATS_PATH}")).await;
        assert_eq!(prefixed.body, expected.to_json());
        // `?reset` answers the counts so far, then starts afresh.
        let reset = get_from(&app, &format!("{STATS_PATH}?reset")).await;
        assert_eq!(reset.body, expected.to_json());
        assert_eq!(tracker.stats(), Stats::default());
        assert!(tracker.requests().is_empty());
        get_from(&app, "/v0/topstories.json").await;
        assert_eq!(
            get_from(&app, STATS_PATH).await.body,
            r#"{"requests":1,"in_flight":0,"peak_in_flight":1}"#
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_request_log_has_each_requests_service_status_and_times() {
        let (app, tracker) = test_app(Scenario::default());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let slow = get_from(&app, "/scenario/hn.latency=500ms/v0/item/8863.json");
        let broken = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            get_from(&app, "/scenario/ipify.fail=500?format=json").await
        };
        tokio::join!(slow, broken);
        get_from(&app, "/scenario/nonsense/events").await;
        let log = tracker.requests();
        let ms = Duration::from_millis;
        let summary: Vec<_> = log
            .iter()
            .map(|record| {
                (
                    record.service,
                    record.scenario.as_str(),
                    record.path.as_str(),
                    record.status,
                    record.arrived,
                    record.answered,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Some(Service::HackerNews),
                    "hn.latency=500ms",
                    "/v0/item/8863.json",
                    Some(200),
                    ms(2000),
                    Some(ms(2500))
                ),
                (
                    Some(Service::Ipify),
                    "ipify.fail=500",
                    "/?format=json",
                    Some(500),
                    ms(2100),
                    Some(ms(2100))
                ),
                (
                    None,
                    "",
                    "/scenario/nonsense/events",
                    Some(400),
                    ms(2500),
                    Some(ms(2500))
                ),
            ]
        );
        assert_eq!(peak_in_flight(&log), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_whose_client_goes_away_leaves_the_count_in_flight() {
        let (app, tracker) = test_app(Scenario::default());
        let waiting = get_from(&app, "/scenario/hn.latency=10s/v0/topstories.json");
        let gave_up = tokio::time::timeout(Duration::from_secs(1), waiting).await;
        assert!(gave_up.is_err());
        assert_eq!(tracker.stats().in_flight, 0);
        let log = tracker.requests();
        assert_eq!((log[0].status, log[0].answered), (None, None));
    }

    #[test]
    fn a_server_on_every_interface_is_reached_on_loopback() {
        let everywhere_v4: SocketAddr = "0.0.0.0:8000".parse().expect("address");
        let everywhere_v6: SocketAddr = "[::]:8000".parse().expect("address");
        assert_eq!(connectable(everywhere_v4).to_string(), "127.0.0.1:8000");
        assert_eq!(connectable(everywhere_v6).to_string(), "[::1]:8000");
        let loopback: SocketAddr = "127.0.0.1:8000".parse().expect("address");
        assert_eq!(connectable(loopback), loopback);
    }
}
