//! A benchmark the CLI can run as `xinfang bench letters`: time and size per document kind,
//! with a baseline measured in the same run.

use std::time::Instant;

use serde::Serialize;

use crate::compose::LetterData;
use crate::engine::{Engine, RenderOptions};
use crate::error::Result;
use crate::kind::DocKind;
use crate::sample::sample;

/// Figures for one kind of document.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// What was rendered: a kind code, or `baseline:<kind>` for the comparison run.
    pub name: String,
    /// Mean wall-clock milliseconds per document (compose, layout, PDF, hash).
    pub ms_per_doc: f64,
    /// PDF size in bytes.
    pub bytes_per_doc: usize,
    /// Pages per document.
    pub pages: usize,
}

/// The benchmark's result.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Milliseconds to load both fonts and all templates once (start-up cost).
    pub load_ms: f64,
    /// Documents rendered per row.
    pub iterations: usize,
    /// One row per kind, then the baseline.
    pub rows: Vec<BenchRow>,
}

/// Renders the sample of every kind `iterations` times and reports the mean time and the size.
/// The baseline is the acceptance notice with font subsetting off: the whole font embedded,
/// as printpdf does without its `text_layout` feature. Build in release mode to get figures
/// worth quoting.
pub fn bench(data_dir: Option<&std::path::Path>, iterations: usize) -> Result<BenchReport> {
    let iterations = iterations.max(1);
    let started = Instant::now();
    let engine = Engine::load(data_dir)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut rows = Vec::new();
    for kind in DocKind::ALL {
        rows.push(measure(
            &engine,
            kind.code().to_string(),
            &sample(kind),
            RenderOptions::default(),
            iterations,
        )?);
    }
    let baseline = RenderOptions {
        subset_fonts: false,
        ..RenderOptions::default()
    };
    // The full font is large, so fewer rounds keep the run short; the mean is still stable.
    let kind = DocKind::AcceptanceNotice;
    rows.push(measure(
        &engine,
        format!("baseline:{}", kind.code()),
        &sample(kind),
        baseline,
        iterations.min(3),
    )?);
    Ok(BenchReport {
        load_ms,
        iterations,
        rows,
    })
}

fn measure(
    engine: &Engine,
    name: String,
    data: &LetterData,
    options: RenderOptions,
    iterations: usize,
) -> Result<BenchRow> {
    // One warm-up round so lazily built font tables do not count against the first kind.
    let first = engine.render(data, &options)?;
    let started = Instant::now();
    for _ in 0..iterations {
        engine.render(data, &options)?;
    }
    let ms_per_doc = started.elapsed().as_secs_f64() * 1e3 / iterations as f64;
    Ok(BenchRow {
        name,
        ms_per_doc,
        bytes_per_doc: first.pdf.len(),
        pages: first.pages,
    })
}

impl BenchReport {
    /// A plain table for the terminal.
    pub fn table(&self) -> String {
        let mut out = format!(
            "font and template load: {:.1} ms; {} rounds per row\n",
            self.load_ms, self.iterations
        );
        out.push_str(&format!(
            "{:<36} {:>10} {:>12} {:>6}\n",
            "document", "ms/doc", "bytes/doc", "pages"
        ));
        for row in &self.rows {
            out.push_str(&format!(
                "{:<36} {:>10.2} {:>12} {:>6}\n",
                row.name, row.ms_per_doc, row.bytes_per_doc, row.pages
            ));
        }
        out
    }
}
