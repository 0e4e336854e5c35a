//! Placeholder until the executor benchmark lands.
fn main() {}
