//! Prints the letter benchmark until the CLI has `xinfang bench letters`:
//! `cargo run --release -p xinfang-letters --example bench [iterations]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(20);
    let report = xinfang_letters::bench(None, iterations)?;
    print!("{}", report.table());
    Ok(())
}
