//! One log line per request: method, route template, status and time. Never the path as
//! sent (it holds record ids) nor its query string (a search may hold a name or a masked
//! ID), never a header or a body.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Logs the request once it is answered (target `tongxin::request`, level info).
pub(crate) async fn log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = route_of(&req);
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::info!(
        target: "tongxin::request",
        method = %method,
        route = %route,
        status = res.status().as_u16(),
        ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        "request"
    );
    res
}

/// The route template (`/api/v1/members/{id}`), or `(no route)` for a path nothing
/// serves.
fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(no route)".into())
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    /// What the log received.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(b);
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_request_is_logged_by_its_route_never_its_ids_or_query() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route("/api/v1/members/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(super::log));
        for uri in ["/api/v1/members/4242?q=%E5%BC%A0%E4%B8%89310106", "/nowhere/7777777"] {
            let res = app
                .clone()
                .oneshot(axum::http::Request::get(uri).body(Body::empty()).expect("request"))
                .await
                .expect("answer");
            assert!(res.status().is_success() || res.status().as_u16() == 404);
        }
        let text = String::from_utf8(out.0.lock().expect("log").clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains("method=GET") && lines[0].contains("route=/api/v1/members/{id}"),
            "{text}"
        );
        assert!(lines[0].contains("status=200") && lines[0].contains("ms="), "{text}");
        assert!(
            lines[1].contains("route=(no route)") && lines[1].contains("status=404"),
            "{text}"
        );
        for leak in ["4242", "q=", "%E5", "张三", "310106", "7777777"] {
            assert!(!text.contains(leak), "{leak} in the log: {text}");
        }
    }
}
