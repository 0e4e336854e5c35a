//! Placeholder until the timers benchmark lands.
fn main() {}
