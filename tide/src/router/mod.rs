//! The path router: a tree of path segments matched with fixed precedence.
//!
//! Patterns are made of `/`-separated segments: a literal (`users`), a parameter (`:id`,
//! matching one non-empty segment), or a trailing wildcard (`*` or `*rest`, matching the rest
//! of the path, possibly empty). At each segment a literal beats a parameter, which beats a
//! wildcard, whatever the order the routes were added in; a branch that fails further down
//! falls back to the next kind, so `/users/new` and `/users/:id/edit` both work.
//!
//! Trailing slashes are significant: `/users` and `/users/` are different paths (`/users/`
//! has an empty last segment), so a route answers exactly the paths it was written for.
//! Empty segments in the middle of a path (`//`) only match an empty literal.

pub(crate) mod fixed;
pub(crate) mod head;
mod methods;
mod params;
mod pattern;
mod tree;

pub(crate) use methods::{Dispatch, MethodFilter, MethodTable};
pub use params::Params;
pub(crate) use pattern::{Pattern, Segment};
pub(crate) use tree::Tree;
