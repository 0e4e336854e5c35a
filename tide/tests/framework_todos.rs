//! The `todos` example's JSON API, end to end over a socket.

mod support;

// The example itself, so that what is tested is what `cargo run --example todos` serves.
#[allow(dead_code)]
#[path = "../../examples/todos.rs"]
mod todos;

use serde_json::{Value, json};
use support::{Client, RawResponse, TestServer, serve_app};

/// A client of the todos API: each call sends one request and returns the response.
struct Api {
    client: Client,
    _server: TestServer,
}

impl Api {
    fn start() -> Api {
        let server = serve_app(todos::app());
        Api {
            client: server.connect(),
            _server: server,
        }
    }

    fn call(&mut self, method: &str, path: &str, body: &str) -> RawResponse {
        let headers: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("Content-Type", "application/json")]
        };
        self.client
            .request(support::request_with(method, path, headers, body))
    }

    /// Sends the request and asserts the status and the JSON body.
    fn check(&mut self, method: &str, path: &str, body: &str, status: u16, expected: Value) {
        let response = self.call(method, path, body);
        assert_eq!(response.status, status, "{method} {path}: {response:?}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        let got: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(got, expected, "{method} {path}");
    }

    /// Sends the request and asserts the status and that the body mentions `message`.
    fn check_error(&mut self, method: &str, path: &str, body: &str, status: u16, message: &str) {
        let response = self.call(method, path, body);
        assert_eq!(response.status, status, "{method} {path}: {response:?}");
        assert!(
            response.text().contains(message),
            "{method} {path}: {response:?}"
        );
    }
}

#[test]
fn an_empty_list_to_start_with() {
    Api::start().check("GET", "/todos", "", 200, json!([]));
}

#[test]
fn create_read_update_delete() {
    let mut api = Api::start();

    let created = api.call("POST", "/todos", r#"{"title": "write docs"}"#);
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.header("location"), Some("/todos/1"));
    let item: Value = serde_json::from_slice(&created.body).unwrap();
    assert_eq!(
        item,
        json!({"id": 1, "title": "write docs", "completed": false})
    );

    let second = json!({"id": 2, "title": "ship", "completed": true});
    api.check(
        "POST",
        "/todos",
        r#"{"title": "ship", "completed": true}"#,
        201,
        second.clone(),
    );
    api.check("GET", "/todos/1", "", 200, item.clone());
    api.check("GET", "/todos", "", 200, json!([item, second]));

    let done = json!({"id": 1, "title": "write more docs", "completed": true});
    let update = r#"{"title": "write more docs", "completed": true}"#;
    api.check("PUT", "/todos/1", update, 200, done.clone());
    api.check("GET", "/todos/1", "", 200, done);

    let deleted = api.call("DELETE", "/todos/1", "");
    assert_eq!(
        (deleted.status, deleted.body.len()),
        (204, 0),
        "{deleted:?}"
    );
    api.check("GET", "/todos", "", 200, json!([second]));
}

#[test]
fn ids_are_never_reused() {
    let mut api = Api::start();
    api.call("POST", "/todos", r#"{"title": "a"}"#);
    api.call("DELETE", "/todos/1", "");
    let created = api.call("POST", "/todos", r#"{"title": "b"}"#);
    assert_eq!(created.header("location"), Some("/todos/2"));
}

#[test]
fn an_unknown_id_is_404() {
    let mut api = Api::start();
    api.check_error("GET", "/todos/7", "", 404, "no todo with id 7");
    api.check_error(
        "PUT",
        "/todos/7",
        r#"{"title": "x"}"#,
        404,
        "no todo with id 7",
    );
    api.check_error("DELETE", "/todos/7", "", 404, "no todo with id 7");
}

#[test]
fn a_non_numeric_id_is_400() {
    let mut api = Api::start();
    api.check_error("GET", "/todos/seven", "", 400, "invalid value \"seven\"");
    api.check_error("DELETE", "/todos/-1", "", 400, "invalid value \"-1\"");
}

#[test]
fn a_bad_body_is_400_or_422() {
    let mut api = Api::start();
    api.check_error("POST", "/todos", r#"{"title": "#, 400, "invalid JSON body");
    api.check_error(
        "POST",
        "/todos",
        r#"{"completed": true}"#,
        422,
        "missing field `title`",
    );
    api.check_error("POST", "/todos", r#"{"title": 5}"#, 422, "invalid type");
    api.call("POST", "/todos", r#"{"title": "a"}"#);
    api.check_error("PUT", "/todos/1", "[]", 422, "invalid JSON body");
    api.check(
        "GET",
        "/todos",
        "",
        200,
        json!([{"id": 1, "title": "a", "completed": false}]),
    );
}

#[test]
fn other_methods_are_405() {
    let mut api = Api::start();
    let response = api.call("PATCH", "/todos/1", r#"{"title": "x"}"#);
    assert_eq!(response.status, 405);
    assert_eq!(
        response.header("allow"),
        Some("GET, PUT, DELETE, HEAD, OPTIONS")
    );
}
