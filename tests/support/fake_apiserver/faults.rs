//! Generic fault injection: "for METHOD and a path prefix, answer STATUS with BODY", "never
//! answer", or "answer as usual, then rewrite the JSON". Hooked in at one point, in front of the
//! normal handler, so every misbehaviour a real server or a proxy in between can show is one line
//! in a test: a 401 from an expired token, a 500, a body that is not JSON, a hang.
//!
//! Faults are checked in the order added; the first that matches decides. A request answered by
//! a fault never reaches the normal handler, so it is not in `requests()`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Response;

use super::Shared;
use super::http::Body;

/// What a matching request gets.
#[derive(Clone)]
pub enum Answer {
    /// This status code, content type and body, whatever the request.
    Reply {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Nothing, ever: the connection stays open until the client gives up.
    Hang,
    /// The normal answer, but only once the gate opens: the test decides when a request ends.
    After(Gate),
    /// The normal answer, its JSON body passed through a function (the status is kept).
    Rewrite(Arc<dyn Fn(serde_json::Value) -> serde_json::Value + Send + Sync>),
}

/// Holds the requests it is given until [`Gate::open`]; counts them.
#[derive(Clone)]
pub struct Gate {
    closed: Arc<tokio::sync::Semaphore>,
    held: Arc<std::sync::atomic::AtomicUsize>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            closed: Arc::new(tokio::sync::Semaphore::new(0)),
            held: Arc::default(),
        }
    }

    /// Let every held request (and every later one) through.
    pub fn open(&self) {
        self.closed.close();
    }

    /// How many requests reached the gate so far.
    pub fn reached(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn pass(&self) {
        self.held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // A closed semaphore fails every acquire at once: that is the gate opening.
        let _ = self.closed.acquire().await;
    }
}

#[derive(Clone)]
pub struct Fault {
    /// `GET`, `POST`, ...; `None` for any method.
    pub method: Option<&'static str>,
    /// Matched against the path as sent, e.g. `/apis/certificates.k8s.io/`.
    pub path_prefix: String,
    /// Matched against the query string (e.g. `watch=true`); `None` for any.
    pub query_contains: Option<&'static str>,
    pub answer: Answer,
}

impl Fault {
    /// Any method, paths starting with `prefix`.
    pub fn on(method: Option<&'static str>, prefix: &str, answer: Answer) -> Fault {
        Fault {
            method,
            path_prefix: prefix.to_string(),
            query_contains: None,
            answer,
        }
    }

    /// Only requests whose query string contains `needle`.
    pub fn with_query(mut self, needle: &'static str) -> Fault {
        self.query_contains = Some(needle);
        self
    }

    fn matches(&self, method: &str, path: &str, query: &str) -> bool {
        self.method.is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.starts_with(&self.path_prefix)
            && self.query_contains.is_none_or(|q| query.contains(q))
    }
}

impl Answer {
    /// A JSON body with a status code, e.g. a `Status` object.
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer::Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    /// Raw bytes claimed to be JSON: for malformed answers.
    pub fn raw(status: u16, body: &[u8]) -> Answer {
        Answer::Reply {
            status,
            content_type: "application/json",
            body: body.to_vec(),
        }
    }

    pub fn rewrite(
        f: impl Fn(serde_json::Value) -> serde_json::Value + Send + Sync + 'static,
    ) -> Answer {
        Answer::Rewrite(Arc::new(f))
    }
}

/// The hook: answer from the first matching fault, or from `normal`.
pub async fn intercept<F>(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    normal: F,
) -> Response<Body>
where
    F: Future<Output = Response<Body>>,
{
    let fault = shared
        .faults
        .lock()
        .unwrap()
        .iter()
        .find(|f| f.matches(method, path, query))
        .map(|f| f.answer.clone());
    match fault {
        None => normal.await,
        Some(Answer::Reply {
            status,
            content_type,
            body,
        }) => Response::builder()
            .status(status)
            .header("Content-Type", content_type)
            .body(Full::new(Bytes::from(body)).boxed())
            .unwrap(),
        Some(Answer::Hang) => std::future::pending().await,
        Some(Answer::After(gate)) => {
            gate.pass().await;
            normal.await
        }
        Some(Answer::Rewrite(f)) => {
            let (parts, body) = normal.await.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_else(|e: Infallible| match e {});
            let rewritten = match serde_json::from_slice(&bytes) {
                Ok(value) => Bytes::from(serde_json::to_vec(&f(value)).unwrap()),
                Err(_) => bytes,
            };
            let mut response = Response::from_parts(parts, Full::new(rewritten).boxed());
            response.headers_mut().remove("content-length");
            response
        }
    }
}
