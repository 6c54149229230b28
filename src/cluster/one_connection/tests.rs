use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt as _};

use super::*;

/// A service that counts its calls and answers each only when the test lets one through.
fn held_service(
    calls: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
) -> impl Service<u32, Response = u32, Error = BoxError, Future: Send> + Clone + Send + 'static {
    tower::service_fn(move |n: u32| {
        calls.fetch_add(1, Ordering::SeqCst);
        let gate = gate.clone();
        async move {
            gate.acquire().await.unwrap().forget();
            Ok::<_, BoxError>(n)
        }
    })
}

/// Poll a future once, here: has it not finished yet?
macro_rules! pending {
    ($($f:expr),+) => { $(futures::poll!(&mut $f).is_pending())&&+ };
}

#[tokio::test]
async fn requests_wait_for_the_first_answer_then_go_at_once() {
    let (calls, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
    let mut service = OneConnection::new(held_service(calls.clone(), gate.clone()));
    let mut first = service.ready().await.unwrap().call(1);
    let mut second = service.ready().await.unwrap().call(2);
    let mut third = service.ready().await.unwrap().call(3);
    assert!(pending!(first, second, third));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "only the first was sent");
    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), 1);
    assert!(pending!(second, third));
    assert_eq!(calls.load(Ordering::SeqCst), 3, "then the others, together");
    gate.add_permits(2);
    assert_eq!((second.await.unwrap(), third.await.unwrap()), (2, 3));
    // From now on nothing waits.
    let mut later = service.ready().await.unwrap().call(4);
    assert!(pending!(later));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn once_http2_is_announced_the_others_go_before_the_first_answer() {
    let (calls, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
    let chosen = Http2Chosen::default();
    let mut service = OneConnection::sharing(held_service(calls.clone(), gate.clone()), &chosen);
    let mut first = service.ready().await.unwrap().call(1);
    let mut second = service.ready().await.unwrap().call(2);
    assert!(pending!(first, second));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "only the first was sent");
    chosen.announce();
    assert!(pending!(second));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the second went without an answer"
    );
    // Later ones go straight through, and the first's answer changes nothing.
    let mut third = service.ready().await.unwrap().call(3);
    assert!(pending!(third));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    gate.add_permits(3);
    assert_eq!(
        (
            first.await.unwrap(),
            second.await.unwrap(),
            third.await.unwrap()
        ),
        (1, 2, 3)
    );
}

#[tokio::test]
async fn an_announcement_before_any_request_or_after_the_answer_changes_nothing() {
    let (calls, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
    let chosen = Http2Chosen::default();
    let mut service = OneConnection::sharing(held_service(calls.clone(), gate.clone()), &chosen);
    chosen.announce();
    let mut first = service.ready().await.unwrap().call(1);
    let mut second = service.ready().await.unwrap().call(2);
    assert!(pending!(first, second));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "still only the first");
    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), 1);
    chosen.announce();
    gate.add_permits(1);
    assert_eq!(second.await.unwrap(), 2);
}

#[tokio::test]
async fn a_first_request_given_up_lets_the_others_go() {
    let (calls, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
    let mut service = OneConnection::new(held_service(calls.clone(), gate.clone()));
    let mut first = service.ready().await.unwrap().call(1);
    let mut second = service.ready().await.unwrap().call(2);
    assert!(pending!(first, second));
    drop(first);
    assert!(pending!(second));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    gate.add_permits(1);
    assert_eq!(second.await.unwrap(), 2);
}

/// hyper-util's client over a connector that fails each attempt once the test says so.
fn client_that_cannot_connect(
    attempts: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
) -> hyper_util::client::legacy::Client<
    impl hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
    String,
> {
    let connector = tower::service_fn(move |_: http::Uri| {
        attempts.fetch_add(1, Ordering::SeqCst);
        let gate = gate.clone();
        Box::pin(async move {
            gate.acquire().await.unwrap().forget();
            Err::<TokioIo<TcpStream>, BoxError>("connection refused (os error 111)".into())
        })
    });
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector)
}

#[tokio::test]
async fn those_waiting_get_the_first_requests_connect_failure() {
    let (attempts, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
    let mut service =
        OneConnection::new(client_that_cannot_connect(attempts.clone(), gate.clone()));
    let request = || {
        http::Request::get("https://127.0.0.1:6443/version")
            .body(String::new())
            .unwrap()
    };
    let first = tokio::spawn(service.ready().await.unwrap().call(request()));
    let second = tokio::spawn(service.ready().await.unwrap().call(request()));
    // Let both start: only the first tries to connect.
    while attempts.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    gate.add_permits(1);
    let chain = |e: BoxError| {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text = format!("{text}: {c}");
            cause = c.source();
        }
        text
    };
    let first = chain(first.await.unwrap().unwrap_err());
    let second = chain(second.await.unwrap().unwrap_err());
    assert!(first.contains("connection refused"), "{first}");
    assert_eq!(first, second);
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    // A later request tries again, alone.
    gate.add_permits(1);
    let third = service.ready().await.unwrap().call(request()).await;
    assert!(third.is_err());
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}
