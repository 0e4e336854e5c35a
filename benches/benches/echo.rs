//! Placeholder until the echo benchmark lands.
fn main() {}
