//! The `blocked_worker` example runs to the end (exit 0) and its watchdog report names the
//! line of the example that spawned the blocking task.
//!
//! It runs the example binary that `cargo test -p examples` builds alongside; with a
//! `--test blocked_worker` filter cargo does not rebuild examples, so build it first
//! (`cargo build -p examples --example blocked_worker`) when running this file alone.

mod process;

use process::example;
use std::process::Command;

#[test]
fn the_report_names_the_spawn_line_and_the_example_exits_0() {
    let source = include_str!("../blocked_worker.rs");
    let line = source
        .lines()
        .position(|l| l.contains("let blocker = pool.spawn("))
        .expect("the example spawns its blocker")
        + 1;
    let out = Command::new(example("blocked_worker"))
        .output()
        .expect("run the example (built by `cargo test -p examples`)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let site = format!("examples/blocked_worker.rs:{line}:");
    assert!(
        stderr.contains("has been polling task") && stderr.contains(&site),
        "{stderr}"
    );
    assert!(
        stdout.contains("Running on worker"),
        "the dump shows the blocker: {stdout}"
    );
    assert!(stdout.contains("\"waiter 0\" Idle"), "{stdout}");
    assert!(stdout.contains("after: 0 tasks listed"), "{stdout}");
}
