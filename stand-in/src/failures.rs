//! Turning a service's normal answer into one of the failures a scenario asks for.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::stream::{self, StreamExt as _};
use tokio_util::sync::CancellationToken;

use crate::scenario::{Failure, Service};
use crate::services::{self, Answer, HackerNewsPath, RequestFacts};

/// How long a cut connection stays open after its first bytes. hyper writes buffered bytes
/// out when the body has nothing ready, so this pause makes sure the client really receives
/// headers and part of the body before the connection goes.
const PAUSE_BEFORE_CUT: Duration = Duration::from_millis(20);

pub fn respond(
    failure: Failure,
    service: Service,
    request: RequestFacts,
    shutting_down: &CancellationToken,
) -> Response {
    match failure {
        Failure::ServerError => services::server_error().into_response(),
        Failure::NullItem => match request.hacker_news {
            Some(HackerNewsPath::Item(_)) => services::hacker_news_null().into_response(),
            // The top stories, and the other services (the rule is for `hn` only), answer
            // as usual.
            _ => services::normal_answer(service, request).into_response(),
        },
        Failure::TooManyRequests => {
            services::rate_limit_answer(service, StatusCode::TOO_MANY_REQUESTS).into_response()
        }
        // GitHub's other documented status; the IP services only know 429.
        Failure::RateLimited => {
            services::rate_limit_answer(service, StatusCode::FORBIDDEN).into_response()
        }
        Failure::MissingKey => services::answer_without_key(service, request).into_response(),
        Failure::MalformedJson => {
            let mut answer = services::normal_answer(service, request);
            answer.body = first_half(&answer.body);
            answer.into_response()
        }
        Failure::ConnectionCut => {
            // An error from the body stream makes hyper drop the connection on the spot.
            let then_cut = stream::once(async {
                tokio::time::sleep(PAUSE_BEFORE_CUT).await;
                Err(io::Error::other("stand-in: fail=cut drops the connection"))
            });
            partial_answer(services::normal_answer(service, request), then_cut)
        }
        Failure::NeverEnds => {
            // The body waits for the server to shut down, so that a hanging response cannot
            // keep a graceful shutdown (or a test) waiting for ever.
            let shutting_down = shutting_down.clone();
            let then_wait = stream::once(async move {
                shutting_down.cancelled().await;
                Err(io::Error::other("stand-in: shutting down ends fail=hang"))
            });
            partial_answer(services::normal_answer(service, request), then_wait)
        }
    }
}

/// Headers announcing the whole body, the first half of it, then whatever `rest` does.
/// `Content-Length` is the full length, so a client knows the body stopped short.
fn partial_answer(
    answer: Answer,
    rest: impl futures::Stream<Item = io::Result<Bytes>> + Send + 'static,
) -> Response {
    let mut headers = answer.headers;
    headers.insert(CONTENT_LENGTH, HeaderValue::from(answer.body.len()));
    let first_half = stream::once(futures::future::ready(Ok(first_half(&answer.body))));
    let body = Body::from_stream(first_half.chain(rest));
    (answer.status, headers, body).into_response()
}

/// The first half of a body: enough to look like a start, never a complete JSON value.
fn first_half(body: &Bytes) -> Bytes {
    body.slice(..body.len() / 2)
}
