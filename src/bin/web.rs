//! The browser app's entry point (built by Trunk for wasm32).

#[cfg(target_arch = "wasm32")]
fn main() {
    consensus_lab::ui::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("This is the browser app: build and serve it with `./dev.sh serve`.");
    std::process::exit(2);
}
