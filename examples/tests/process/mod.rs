//! An example's binary run as a process, as its user runs it: started with arguments, its
//! printed lines read, killed when the test ends (passed or not).
//!
//! `cargo test -p examples` builds the examples beside the test binaries; with a `--test`
//! filter cargo does not rebuild them, so build one first (`cargo build -p examples
//! --example NAME`) when running its test file alone.
#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

/// Where `cargo test` put the example `name`: `target/<profile>/examples/name`.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    profile_dir.join("examples").join(name)
}

/// An example, running.
pub struct Running {
    pub child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    /// Starts example `name` with `args`, its standard output piped to the test.
    pub fn start(name: &str, args: &[&str]) -> Running {
        let mut child = Command::new(example(name))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the example (built by `cargo test -p examples`)");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Running { child, stdout }
    }

    /// The next line it prints that starts with `prefix`, without the prefix.
    pub fn printed(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "the example ended before printing {prefix:?}");
            if let Some(rest) = line.trim_end().strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
