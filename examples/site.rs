//! A small site with tide's batteries: static files, compression, a login with sessions, and
//! a file upload.
//!
//! ```text
//! cargo run --example site [ADDR] [DIR]   # ADDR 127.0.0.1:8080; DIR examples/site/
//!
//! curl --compressed -i localhost:8080/static/style.css       # gzip or br, ETag, ...
//! curl -i localhost:8080/static/%2e%2e/Cargo.toml            # 404: never outside DIR
//! curl -c jar -i localhost:8080/login -d user=ann             # 303, a session cookie
//! curl -b jar localhost:8080/                                 # "Hello, ann"
//! curl -b jar -F file=@Cargo.toml localhost:8080/upload       # "Received Cargo.toml ..."
//! curl -b jar -c jar -X POST localhost:8080/logout            # 303, the cookie removed
//! ```
//!
//! - `/static/*` serves DIR (with `.br`/`.gz` siblings when present), compressed by the
//!   `Compression` middleware for clients that accept it.
//! - `GET /` shows a login form, or, once logged in, a greeting and an upload form.
//! - `POST /login` (a form with `user`) stores the user in the session and rotates its id;
//!   `POST /logout` ends the session.
//! - `POST /upload` (logged in only, else 401) streams a multipart file of up to 10 MiB
//!   (413 past it) and tells its name and size.
//! - Every request has 30 s to be answered (503 past it).
//!
//! Sessions are signed with `SITE_SECRET` (at least 32 bytes) when it is set; otherwise with
//! a random secret made at start, so restarting the server logs everyone out.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tide::fs::ServeDir;
use tide::middleware::{Compression, Timeout};
use tide::multipart::MultipartLimits;
use tide::session::{MemoryStore, SessionMiddleware};
use tide::{Error, Redirect, Request, Response, StatusCode};

/// The directory shipped with the example.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("site")
}

/// The site, serving `dir` under `/static/`, its sessions signed with `secret`.
pub fn app(dir: &Path, secret: &[u8]) -> tide::App<()> {
    let mut app = tide::new();
    app.with(Timeout::new(Duration::from_secs(30)));
    // Small pages too: the style sheet and the start page are under the default 1 KiB.
    app.with(Compression::new().min_size(256));
    app.with(SessionMiddleware::new(MemoryStore::new(), secret));
    app.at("/static/*")
        .get(ServeDir::new(dir).precompressed(true));
    app.at("/").get(home);
    app.at("/login").post(login);
    app.at("/logout").post(|mut req: Request<()>| async move {
        req.session_mut().destroy();
        Ok(Redirect::see_other("/"))
    });
    app.at("/upload").post(upload);
    app
}

async fn home(req: Request<()>) -> tide::Result<Response> {
    let body = match req.session().get::<String>("user") {
        Some(user) => format!(
            "<h1>Hello, {user}</h1>\n\
             <form method=\"post\" action=\"/upload\" enctype=\"multipart/form-data\">\n\
             <label>A file (up to 10 MiB) <input type=\"file\" name=\"file\"></label>\n\
             <button>Upload</button></form>\n\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>\n",
            user = escape(&user)
        ),
        None => "<h1>Welcome</h1>\n\
                 <form method=\"post\" action=\"/login\">\n\
                 <label>Your name <input type=\"text\" name=\"user\"></label>\n\
                 <button>Log in</button></form>\n"
            .to_owned(),
    };
    Ok(page(&body))
}

async fn login(mut req: Request<()>) -> tide::Result<Redirect> {
    #[derive(Deserialize)]
    struct Login {
        user: String,
    }
    let Login { user } = req.body_form().await?;
    let user = user.trim().to_owned();
    if user.is_empty() || user.len() > 64 {
        return Err(Error::from_str(
            StatusCode::BAD_REQUEST,
            "a name of 1 to 64 characters, please",
        ));
    }
    let session = req.session_mut();
    session.insert("user", &user)?;
    // A new id at login: one learnt before it is worth nothing now.
    session.regenerate();
    Ok(Redirect::see_other("/"))
}

async fn upload(mut req: Request<()>) -> tide::Result<Response> {
    if !req.session().contains("user") {
        return Err(Error::from_str(StatusCode::UNAUTHORIZED, "log in first"));
    }
    let limits = MultipartLimits {
        max_fields: 4,
        max_field_bytes: 10 * 1024 * 1024,
        max_total_bytes: 11 * 1024 * 1024,
    };
    let mut form = req.multipart_with(limits)?;
    let mut received = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        let Some(file_name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        // A real app would write the chunks to disk or storage as they come.
        let mut size = 0;
        while let Some(chunk) = field.chunk().await? {
            size += chunk.len();
        }
        received.push(format!(
            "<p class=\"ok\">Received {} ({size} bytes)</p>",
            escape(&file_name)
        ));
    }
    if received.is_empty() {
        return Err(Error::from_str(
            StatusCode::BAD_REQUEST,
            "no file in the form",
        ));
    }
    Ok(page(&format!(
        "{}\n<p><a href=\"/\">Back</a></p>\n",
        received.join("\n")
    )))
}

fn page(body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>tide site</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\n\
         <body>\n{body}<footer><a href=\"/static/about.html\">About</a></footer>\n</body></html>\n"
    );
    Response::builder(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .body(html)
        .build()
}

/// `text` safe inside HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// `SITE_SECRET`, or 32 random bytes from the system.
fn secret() -> std::io::Result<Vec<u8>> {
    if let Ok(secret) = std::env::var("SITE_SECRET") {
        return Ok(secret.into_bytes());
    }
    let mut bytes = vec![0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    eprintln!("site: SITE_SECRET is not set; sessions end when the server stops");
    Ok(bytes)
}

#[allow(dead_code)] // the integration test includes this file for `app` alone
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let dir = args.next().map_or_else(default_dir, PathBuf::from);
    if !dir.is_dir() {
        eprintln!("site: {} is not a directory", dir.display());
        std::process::exit(2);
    }
    eprintln!("site: serving {} under /static/", dir.display());
    app(&dir, &secret()?).run(addr)
}
