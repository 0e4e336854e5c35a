//! actix-web with `workers(n)`: each worker is a single-threaded runtime of its own.

use actix_web::http::header::{CONTENT_TYPE, HeaderValue, SERVER};
use actix_web::{App, HttpResponse, HttpServer, web};

use http_peers::{APPLICATION_JSON, HELLO, TEXT_PLAIN, args, json_body};

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((SERVER, HeaderValue::from_static("actix")))
        .insert_header((CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN)))
        .body(HELLO)
}

async fn json() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((SERVER, HeaderValue::from_static("actix")))
        .insert_header((CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON)))
        .body(json_body())
}

fn main() -> std::io::Result<()> {
    let (addr, workers) = args();
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| {
            App::new()
                .route("/plaintext", web::get().to(plaintext))
                .route("/json", web::get().to(json))
        })
        .workers(workers)
        .backlog(4096)
        .bind(addr)?;
        for addr in server.addrs() {
            println!("listening on http://{addr}");
        }
        server.run().await
    })
}
