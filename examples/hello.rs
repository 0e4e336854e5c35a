//! Hello, world: `GET /` answers `Hello, world!`.
//!
//! ```text
//! cargo run --example hello [ADDR]     # ADDR defaults to 127.0.0.1:8080; port 0 picks one
//! curl http://127.0.0.1:8080/
//! ```
//!
//! Ctrl-C (or SIGTERM) stops it gracefully: requests in flight finish first.

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let mut app = tide::new();
    app.at("/").get(|_| async { Ok("Hello, world!") });
    tide::runtime::block_on(async {
        let server = app.bind(addr).await?;
        println!(
            "listening on http://{}",
            server.local_addr().expect("a TCP address")
        );
        server
            .serve_with_shutdown(tide::server::shutdown_signal()?)
            .await
    })
}
