//! `lrp`: the command-line face of the core (run `cargo run --release -- --help`).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; in wasm the crate is the library behind `pkg/`.
#[cfg(target_arch = "wasm32")]
fn main() {}
