//! A to-do list as a JSON API, kept in memory and shared by every request.
//!
//! ```text
//! cargo run --example todos [ADDR]     # ADDR defaults to 127.0.0.1:8080
//!
//! curl -i localhost:8080/todos -d '{"title": "write docs"}'        # 201, Location: /todos/1
//! curl -i localhost:8080/todos                                      # 200, [{"id":1,...}]
//! curl -i localhost:8080/todos/1 -X PUT -d '{"title": "write docs", "completed": true}'
//! curl -i localhost:8080/todos/1 -X DELETE                          # 204
//! ```
//!
//! An item is `{"id": 1, "title": "...", "completed": false}`; `POST` and `PUT` take `title`
//! and an optional `completed` (default `false`), and the server assigns the `id`. An unknown
//! id is a 404, a non-numeric one a 400; a body that is not JSON is a 400, and JSON of the
//! wrong shape a 422, each with a message saying what is wrong.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use tide::{Error, Json, Request, Response, StatusCode};

/// A to-do item as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    /// Assigned by the server.
    pub id: u64,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub completed: bool,
}

/// What `POST` and `PUT` take.
#[derive(Debug, Deserialize)]
struct TodoInput {
    title: String,
    #[serde(default)]
    completed: bool,
}

/// The app's state: every item, by id, behind one lock (never held across an `.await`).
#[derive(Debug, Clone, Default)]
pub struct Todos {
    store: Arc<Mutex<Store>>,
}

#[derive(Debug, Default)]
struct Store {
    last_id: u64,
    items: BTreeMap<u64, Todo>,
}

impl Todos {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The API's routes.
pub fn app() -> tide::App<Todos> {
    let mut app = tide::with_state(Todos::default());
    app.at("/todos").get(list).post(create);
    app.at("/todos/:id").get(show).put(update).delete(remove);
    app
}

async fn list(req: Request<Todos>) -> tide::Result<Json<Vec<Todo>>> {
    Ok(Json(req.state().lock().items.values().cloned().collect()))
}

async fn create(mut req: Request<Todos>) -> tide::Result<Response> {
    let input: TodoInput = req.body_json().await?;
    let todo = {
        let mut store = req.state().lock();
        store.last_id += 1;
        let todo = Todo {
            id: store.last_id,
            title: input.title,
            completed: input.completed,
        };
        store.items.insert(todo.id, todo.clone());
        todo
    };
    Ok(Response::builder(StatusCode::CREATED)
        .header("location", format!("/todos/{}", todo.id))
        .body(Json(todo))
        .build())
}

async fn show(req: Request<Todos>) -> tide::Result<Json<Todo>> {
    let id = req.param_as("id")?;
    let todo = req.state().lock().items.get(&id).cloned();
    todo.map(Json).ok_or_else(|| not_found(id))
}

async fn update(mut req: Request<Todos>) -> tide::Result<Json<Todo>> {
    let id = req.param_as("id")?;
    let input: TodoInput = req.body_json().await?;
    let mut store = req.state().lock();
    let todo = store.items.get_mut(&id).ok_or_else(|| not_found(id))?;
    todo.title = input.title;
    todo.completed = input.completed;
    Ok(Json(todo.clone()))
}

async fn remove(req: Request<Todos>) -> tide::Result<StatusCode> {
    let id = req.param_as("id")?;
    match req.state().lock().items.remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(not_found(id)),
    }
}

fn not_found(id: u64) -> Error {
    Error::from_str(StatusCode::NOT_FOUND, format!("no todo with id {id}"))
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    tide::runtime::block_on(async {
        let server = app().bind(addr).await?;
        println!(
            "listening on http://{}",
            server.local_addr().expect("a TCP address")
        );
        server
            .serve_with_shutdown(tide::server::shutdown_signal()?)
            .await
    })
}
