//! Holder crate for the workspace examples; see the `*.rs` files beside this crate.
