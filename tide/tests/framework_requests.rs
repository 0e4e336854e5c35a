//! What handlers read and answer: query, parameters, JSON and form bodies, the body limit,
//! errors and their statuses, redirects and JSON responses.

mod support;

use serde::{Deserialize, Serialize};
use serde_json::json;
use support::{Answer, respond, serve_app};
use tide::{Error, Json, Redirect, Request, Response, Status, StatusCode};

#[derive(Debug, Deserialize, Serialize)]
struct Page {
    page: u32,
    per_page: Option<u32>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Pet {
    name: String,
    age: u8,
}

/// Most body bytes the app reads.
const BODY_LIMIT: u64 = 64;

/// One route per thing a handler can read or answer.
fn app() -> tide::App<()> {
    let mut app = tide::new();
    *app.settings_mut() = tide::server::Settings::default().max_body_bytes(BODY_LIMIT);
    app.at("/page").get(|req: Request<()>| async move {
        let page: Page = req.query()?;
        Ok(format!("page {} of {:?}", page.page, page.per_page))
    });
    app.at("/square/:n").get(|req: Request<()>| async move {
        let n: u32 = req.param_as("n")?;
        Ok((n * n).to_string())
    });
    app.at("/pets/json")
        .post(|mut req: Request<()>| async move {
            let pet: Pet = req.body_json().await?;
            Ok(format!("{} is {}", pet.name, pet.age))
        });
    app.at("/pets/form")
        .post(|mut req: Request<()>| async move {
            let pet: Pet = req.body_form().await?;
            Ok(format!("{} is {}", pet.name, pet.age))
        });
    app.at("/echo")
        .post(|mut req: Request<()>| async move { Ok(req.body_bytes().await?.to_vec()) });
    app.at("/io-error").get(|_| async {
        let read: std::io::Result<String> = Err(std::io::Error::other("password is hunter2"));
        Ok(read?)
    });
    app.at("/forbidden").get(|_| async {
        Err::<String, _>(Error::from_str(StatusCode::FORBIDDEN, "members only"))
    });
    app.at("/parse/:n").get(|req: Request<()>| async move {
        let n: u32 = req.param("n")?.parse().status(StatusCode::BAD_REQUEST)?;
        Ok(n.to_string())
    });
    app.at("/missing")
        .get(|_| async { None::<String>.status(StatusCode::NOT_FOUND) });
    app.at("/json")
        .get(|_| async { Ok(Json(json!({"name": "ferris", "legs": 6}))) });
    app.at("/created").post(|_| async {
        Ok(Response::builder(StatusCode::CREATED).body(Json(Pet {
            name: "nibbles".into(),
            age: 2,
        })))
    });
    app.at("/nothing").delete(|_| async { Ok(()) });
    app.at("/status")
        .get(|_| async { Ok(StatusCode::ACCEPTED) });
    app.at("/redirect/:kind")
        .get(|req: Request<()>| async move {
            Ok(match req.param("kind")? {
                "found" => Redirect::found("/to"),
                "see-other" => Redirect::see_other("/to"),
                "temporary" => Redirect::temporary("/to"),
                _ => Redirect::permanent("/to"),
            })
        });
    app
}

fn get(path: &str) -> Answer {
    respond(&app(), "GET", path, &[], "")
}

fn post(path: &str, content_type: &str, body: &str) -> Answer {
    respond(
        &app(),
        "POST",
        path,
        &[("content-type", content_type)],
        body,
    )
}

/// Asserts the answer's status and that its body starts with `prefix`.
fn assert_starts(answer: &Answer, status: u16, prefix: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert!(answer.body.starts_with(prefix), "{answer:?}");
}

#[test]
fn the_query_is_parsed_into_a_type() {
    get("/page?page=2&per_page=10").assert(200, "page 2 of Some(10)");
    get("/page?page=3").assert(200, "page 3 of None");
}

#[test]
fn a_query_that_does_not_fit_is_400() {
    assert_starts(&get("/page?page=two"), 400, "invalid query string");
    assert_starts(
        &get("/page"),
        400,
        "invalid query string: missing field `page`",
    );
}

#[test]
fn a_parameter_is_parsed_into_a_type_or_400() {
    get("/square/12").assert(200, "144");
    get("/square/twelve").assert(400, "invalid value \"twelve\" for path parameter \"n\"\n");
}

#[test]
fn a_json_body_is_parsed_into_a_type() {
    post(
        "/pets/json",
        "application/json",
        r#"{"name": "rex", "age": 3}"#,
    )
    .assert(200, "rex is 3");
}

#[test]
fn a_body_that_is_not_json_is_400_with_the_reason() {
    let answer = post("/pets/json", "application/json", r#"{"name": "rex", "#);
    assert_starts(&answer, 400, "invalid JSON body: EOF while parsing");
}

#[test]
fn json_of_the_wrong_shape_is_422_with_the_reason() {
    let answer = post(
        "/pets/json",
        "application/json",
        r#"{"name": "rex", "age": "old"}"#,
    );
    assert_starts(
        &answer,
        422,
        "invalid JSON body: invalid type: string \"old\"",
    );
    let answer = post("/pets/json", "application/json", r#"{"name": "rex"}"#);
    assert_starts(&answer, 422, "invalid JSON body: missing field `age`");
}

#[test]
fn a_form_body_is_parsed_into_a_type_or_422() {
    let form = "application/x-www-form-urlencoded";
    post("/pets/form", form, "name=tom%20cat&age=4").assert(200, "tom cat is 4");
    assert_starts(
        &post("/pets/form", form, "name=tom&age=old"),
        422,
        "invalid form body",
    );
}

#[test]
fn a_body_over_the_limit_is_413() {
    let fits = "x".repeat(BODY_LIMIT as usize);
    post("/echo", "text/plain", &fits).assert(200, &fits);
    let too_big = "x".repeat(BODY_LIMIT as usize + 1);
    assert_eq!(post("/echo", "text/plain", &too_big).status, 413);
}

#[test]
fn a_body_over_the_limit_is_413_over_a_socket_too() {
    let server = serve_app(app());
    let mut client = server.connect();
    let fits = "x".repeat(BODY_LIMIT as usize);
    client
        .request(support::post("/echo", &fits))
        .assert(200, &fits);
    let too_big = "x".repeat(BODY_LIMIT as usize * 4);
    let answer = support::Client::connect(server.addr()).request(support::post("/echo", &too_big));
    assert_eq!(answer.status, 413, "{answer:?}");
}

#[test]
fn a_server_error_never_leaks_its_message() {
    let answer = get("/io-error");
    answer.assert(500, "Internal Server Error\n");
    assert!(!answer.body.contains("hunter2"));
}

#[test]
fn a_client_error_s_message_reaches_the_client() {
    get("/forbidden").assert(403, "members only\n");
    get("/parse/7").assert(200, "7");
    get("/parse/seven").assert(400, "invalid digit found in string\n");
    get("/missing").assert(404, "Not Found\n");
}

#[test]
fn json_is_answered_with_its_content_type() {
    let answer = get("/json");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let value: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(value, json!({"name": "ferris", "legs": 6}));

    let answer = respond(&app(), "POST", "/created", &[], "");
    answer.assert(201, r#"{"name":"nibbles","age":2}"#);
    assert_eq!(answer.header("content-type"), Some("application/json"));
}

#[test]
fn plain_values_become_responses() {
    respond(&app(), "DELETE", "/nothing", &[], "").assert(204, "");
    get("/status").assert(202, "");
    assert_eq!(
        get("/square/2").header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn redirects_carry_their_status_and_location() {
    for (kind, status) in [
        ("found", 302),
        ("see-other", 303),
        ("temporary", 307),
        ("permanent", 308),
    ] {
        let answer = get(&format!("/redirect/{kind}"));
        assert_eq!(
            (answer.status, answer.header("location")),
            (status, Some("/to")),
            "{kind}"
        );
    }
}
