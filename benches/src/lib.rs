//! Holder crate for the comparison benchmarks in `benches/`.
