//! Routing, as a client sees it: precedence, trailing slashes, 405 with `Allow`, `HEAD`,
//! automatic `OPTIONS`, and nested apps.

mod support;

use support::{Answer, respond, serve_app};
use tide::{Request, Response, StatusCode};

/// An app whose every route is a `GET` answering `<pattern> <name>=<value>...`, so a test
/// sees which route matched and what it captured.
fn app_with(routes: &[&'static str]) -> tide::App<()> {
    let mut app = tide::new();
    for &route in routes {
        app.at(route).get(move |req: Request<()>| async move {
            let mut answer = route.to_owned();
            for (name, value) in req.params().iter() {
                answer.push_str(&format!(" {name}={value}"));
            }
            Ok(answer)
        });
    }
    app
}

/// Asserts that `GET path` is answered by `expected` (`None`: 404), whether `routes` are
/// added in the order given or the reverse.
fn check(routes: &[&'static str], path: &str, expected: Option<&str>) {
    let reversed: Vec<_> = routes.iter().rev().copied().collect();
    for order in [routes, &reversed] {
        let answer = respond(&app_with(order), "GET", path, &[], "");
        match expected {
            Some(body) => assert_eq!(
                (answer.status, answer.body.as_str()),
                (200, body),
                "GET {path} with routes {order:?}"
            ),
            None => assert_eq!(answer.status, 404, "GET {path} with routes {order:?}"),
        }
    }
}

const USERS: &[&str] = &[
    "/users/new",
    "/users/:id",
    "/users/:id/edit",
    "/users/*rest",
];

#[test]
fn a_literal_beats_a_parameter() {
    check(USERS, "/users/new", Some("/users/new"));
    check(USERS, "/users/7", Some("/users/:id id=7"));
}

#[test]
fn a_parameter_beats_a_wildcard() {
    check(USERS, "/users/7/edit", Some("/users/:id/edit id=7"));
    check(USERS, "/users/7/photos", Some("/users/*rest rest=7/photos"));
    check(USERS, "/users/new/edit", Some("/users/:id/edit id=new"));
}

#[test]
fn a_failed_literal_branch_falls_back_to_a_parameter() {
    check(&["/a/b/c", "/a/:x/d"], "/a/b/d", Some("/a/:x/d x=b"));
    check(&["/a/b/c", "/a/:x/d"], "/a/b/c", Some("/a/b/c"));
}

#[test]
fn a_root_wildcard_takes_only_what_nothing_else_matches() {
    let routes = &["/*", "/about", "/blog/:post"];
    check(routes, "/about", Some("/about"));
    check(routes, "/blog/hello", Some("/blog/:post post=hello"));
    check(
        routes,
        "/blog/hello/comments",
        Some("/* *=blog/hello/comments"),
    );
    check(routes, "/", Some("/* *="));
}

#[test]
fn trailing_slashes_are_significant() {
    check(&["/users"], "/users", Some("/users"));
    check(&["/users"], "/users/", None);
    check(&["/users/"], "/users", None);
    check(&["/users", "/users/"], "/users/", Some("/users/"));
    check(&["/users/:id"], "/users/", None);
}

#[test]
fn the_query_plays_no_part_in_routing() {
    check(
        &["/users/:id"],
        "/users/7?tab=posts",
        Some("/users/:id id=7"),
    );
}

#[test]
fn parameters_are_percent_decoded() {
    check(
        &["/tags/:tag"],
        "/tags/caf%C3%A9%20au%20lait",
        Some("/tags/:tag tag=café au lait"),
    );
    check(
        &["/files/*path"],
        "/files/a%20b/c",
        Some("/files/*path path=a b/c"),
    );
}

#[test]
fn an_unknown_path_is_404() {
    let answer = respond(&app_with(USERS), "GET", "/nope", &[], "");
    answer.assert(404, "Not Found\n");
}

/// `/items`: GET and POST; `/anything`: a catch-all for every method.
fn methods_app() -> tide::App<()> {
    let mut app = tide::new();
    app.at("/items")
        .get(|_| async { Ok("list") })
        .post(|_| async { Ok("created") });
    app.at("/anything")
        .get(|_| async { Ok("got") })
        .all(|req: Request<()>| async move { Ok(format!("any {}", req.method())) });
    app
}

#[test]
fn a_method_with_no_endpoint_is_405_with_allow() {
    let answer = respond(&methods_app(), "DELETE", "/items", &[], "");
    answer.assert(405, "Method Not Allowed\n");
    assert_eq!(answer.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
}

#[test]
fn a_catch_all_answers_the_methods_with_no_endpoint() {
    let app = methods_app();
    respond(&app, "GET", "/anything", &[], "").assert(200, "got");
    respond(&app, "PATCH", "/anything", &[], "").assert(200, "any PATCH");
}

#[test]
fn options_is_answered_automatically_with_allow() {
    let answer = respond(&methods_app(), "OPTIONS", "/items", &[], "");
    answer.assert(204, "");
    assert_eq!(answer.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
}

#[test]
fn a_route_may_answer_options_itself() {
    let mut app = methods_app();
    app.at("/items").options(|_| async { Ok("my options") });
    respond(&app, "OPTIONS", "/items", &[], "").assert(200, "my options");
}

#[test]
fn head_is_answered_by_get_without_a_body() {
    let answer = respond(&methods_app(), "HEAD", "/items", &[], "");
    answer.assert(200, "");
    assert_eq!(answer.header("content-length"), Some("4"));
}

#[test]
fn head_over_a_socket_has_get_s_length_and_no_body() {
    let server = serve_app(methods_app());
    let mut client = server.connect();
    client.send(support::request_with("HEAD", "/items", &[], ""));
    let head = client.head_response();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("4"));
    // Had the server sent a body, the next response would start with it.
    client.get("/items").assert(200, "list");
}

#[test]
fn routing_answers_the_same_over_a_socket() {
    let server = serve_app(methods_app());
    let mut client = server.connect();
    client.get("/items").assert(200, "list");
    let not_allowed = client.request(support::request_with("PUT", "/items", &[], "x"));
    not_allowed.assert(405, "Method Not Allowed\n");
    assert_eq!(
        not_allowed.header("allow"),
        Some("GET, POST, HEAD, OPTIONS")
    );
    let options = client.request(support::request_with("OPTIONS", "/items", &[], ""));
    assert_eq!(
        (options.status, options.header("allow")),
        (204, Some("GET, POST, HEAD, OPTIONS"))
    );
    client.get("/nope").assert(404, "Not Found\n");
}

/// A middleware that adds `x-<name>: yes` to every response it sees.
fn mark(name: &'static str) -> impl tide::Middleware<String> {
    move |req: Request<String>, next: tide::Next<String>| async move {
        let mut response = next.run(req).await;
        response.insert_header(format!("x-{name}"), "yes");
        Ok(response)
    }
}

/// A handler answering `<state> <path> <params>`.
async fn describe(req: Request<String>) -> tide::Result<String> {
    let params: Vec<String> = req
        .params()
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    Ok(
        format!("{} {} {}", req.state(), req.path(), params.join(","))
            .trim_end()
            .to_owned(),
    )
}

/// An outer app (state `outer`, a root wildcard, and `/users/:user` routes) with an inner
/// app (state `inner`, its own middleware) nested at `/api` and at `/users/:user/blog`.
fn nested_app() -> tide::App<String> {
    let inner = || {
        let mut inner = tide::with_state("inner".to_owned());
        inner.with(mark("inner"));
        inner.at("/").get(describe);
        inner.at("/posts/:post").get(describe).delete(describe);
        inner.at("/files/:name").get(describe);
        inner
    };
    let mut outer = tide::with_state("outer".to_owned());
    outer.with(mark("outer"));
    outer.at("/*").get(describe);
    outer.at("/users/:user").get(describe);
    outer.at("/api").nest(inner());
    outer.at("/users/:user/blog").nest(inner());
    outer
}

fn check_nested(method: &str, path: &str, status: u16, body: &str) -> Answer {
    let answer = respond(&nested_app(), method, path, &[], "");
    answer.assert(status, body);
    assert_eq!(answer.header("x-outer"), Some("yes"), "{method} {path}");
    answer
}

#[test]
fn a_nested_app_answers_below_its_mount_with_its_own_state_and_middleware() {
    let answer = check_nested("GET", "/api/posts/7", 200, "inner /api/posts/7 post=7");
    assert_eq!(answer.header("x-inner"), Some("yes"));
}

#[test]
fn a_nested_app_answers_its_mount_point_itself() {
    check_nested("GET", "/api", 200, "inner /api");
    check_nested("GET", "/api/", 200, "inner /api/");
}

#[test]
fn the_outer_wildcard_never_shadows_a_nested_app() {
    let answer = check_nested("GET", "/api/nope", 404, "Not Found\n");
    assert_eq!(answer.header("x-inner"), Some("yes"), "the inner app's 404");
    check_nested(
        "GET",
        "/elsewhere/x",
        200,
        "outer /elsewhere/x *=elsewhere/x",
    );
}

#[test]
fn a_nested_app_sees_the_outer_parameters() {
    check_nested(
        "GET",
        "/users/ann/blog/posts/3",
        200,
        "inner /users/ann/blog/posts/3 user=ann,post=3",
    );
    check_nested("GET", "/users/ann", 200, "outer /users/ann user=ann");
}

#[test]
fn a_nested_app_answers_405_and_options_from_its_own_routes() {
    let answer = check_nested("POST", "/api/posts/1", 405, "Method Not Allowed\n");
    assert_eq!(answer.header("allow"), Some("GET, DELETE, HEAD, OPTIONS"));
    let answer = check_nested("OPTIONS", "/api/posts/1", 204, "");
    assert_eq!(answer.header("allow"), Some("GET, DELETE, HEAD, OPTIONS"));
}

#[test]
fn a_nested_app_routes_the_path_as_sent_decoding_once() {
    check_nested(
        "GET",
        "/api/files/a%2Fb",
        200,
        "inner /api/files/a%2Fb name=a/b",
    );
    check_nested(
        "GET",
        "/api/files/100%2525",
        200,
        "inner /api/files/100%2525 name=100%25",
    );
}

#[test]
fn a_nested_app_answers_over_a_socket() {
    let server = serve_app(nested_app());
    let mut client = server.connect();
    let answer = client.get("/api/posts/7");
    answer.assert(200, "inner /api/posts/7 post=7");
    assert_eq!(answer.header("x-inner"), Some("yes"));
    client.get("/api/nope").assert(404, "Not Found\n");
}

#[test]
fn a_handler_may_build_any_response() {
    let mut app = tide::new();
    app.at("/teapot").get(|_| async {
        Ok(Response::builder(StatusCode::IM_A_TEAPOT)
            .header("x-kind", "teapot")
            .body("short and stout")
            .build())
    });
    let answer = respond(&app, "GET", "/teapot", &[], "");
    answer.assert(418, "short and stout");
    assert_eq!(answer.header("x-kind"), Some("teapot"));
}

#[test]
#[should_panic(expected = "a wildcard must be the last segment")]
fn a_misplaced_wildcard_panics_when_the_route_is_added() {
    tide::new().at("/files/*path/edit");
}

#[test]
#[should_panic(expected = "conflicting parameter names")]
fn two_names_for_one_parameter_panic_when_the_route_is_added() {
    let mut app = tide::new();
    app.at("/users/:id").get(|_| async { Ok("") });
    app.at("/users/:name/edit").get(|_| async { Ok("") });
}
