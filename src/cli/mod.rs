//! The `lrp` command's subcommands.

pub mod explain;
pub mod gallery;
pub mod input;
pub mod models;
