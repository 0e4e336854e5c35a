//! The `tokio_compat` example over a real socket: tokio's timer and `tokio::fs` through
//! async-compat and through a side runtime work from tide handlers; tokio called bare is
//! the 500 the example documents.

mod support;

#[path = "../tokio_compat.rs"]
mod tokio_compat;

use support::{fetch, serve};

#[test]
fn tokio_only_apis_work_from_handlers_the_two_documented_ways() {
    let served = serve(tokio_compat::app());
    let reply = fetch(served.addr, "GET", "/sleep?ms=20", &[], b"");
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (200, "slept 20 ms on tokio's timer\n")
    );
    let reply = fetch(served.addr, "GET", "/file", &[], b"");
    assert_eq!(reply.status, 200);
    assert!(reply.text().contains("name = \"examples\""), "{reply:?}");
    let reply = fetch(served.addr, "GET", "/side?ms=20", &[], b"");
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (200, "slept 20 ms on the side runtime\n")
    );
    // Bare tokio: the panic the docs describe, caught as a 500; the server lives on.
    assert_eq!(fetch(served.addr, "GET", "/broken", &[], b"").status, 500);
    assert_eq!(
        fetch(served.addr, "GET", "/sleep?ms=1", &[], b"").status,
        200
    );
    assert_eq!(
        fetch(served.addr, "GET", "/sleep?ms=99999", &[], b"").status,
        400
    );
}
