//! The entry point: an `Engine` holds fonts and templates and turns `LetterData` into PDF bytes.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::compose::{LetterData, compose};
use crate::error::{Error, Result};
use crate::fonts::FontSet;
use crate::layout::{self, Layout};
use crate::proof::{self, hex};
use crate::render::{WriteOptions, write_pdf};
use crate::template::Templates;

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Stamp a light diagonal 预览 on every page (for on-screen preview before issuing).
    pub preview: bool,
    /// Embed only the glyphs used. Always on in the app; off only to measure the baseline in
    /// [`crate::bench`].
    pub subset_fonts: bool,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            preview: false,
            subset_fonts: true,
        }
    }
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// SHA-256 of `pdf`, lower-case hex. Rendering the same data with the same fonts and
    /// template gives the same bytes, so this identifies the issued file.
    pub sha256: String,
    /// SHA-256 of the document's text (kind, template version, every printed block); its
    /// first 12 digits are printed as 文书校验码 and encoded in the QR code.
    pub content_hash: String,
    /// The version string of the template used.
    pub template_version: String,
    /// What the QR code encodes: `XFDESK1;k=<kind>;c=<case>;q=<查询码>;h=<hash>`.
    pub qr_payload: String,
    /// Number of pages.
    pub pages: usize,
}

/// Fonts and templates, loaded once and reused for every document.
#[derive(Debug, Clone)]
pub struct Engine {
    fonts: FontSet,
    templates: Templates,
}

impl Engine {
    /// An engine from fonts and templates the caller loaded.
    pub fn new(fonts: FontSet, templates: Templates) -> Engine {
        Engine { fonts, templates }
    }

    /// The usual set-up: bundled fonts (or `<data_dir>/fonts`) and bundled templates (or
    /// `<data_dir>/templates/<kind>.json` where present).
    pub fn load(data_dir: Option<&Path>) -> Result<Engine> {
        let fonts = FontSet::load(data_dir)?;
        let templates = Templates::load(data_dir.map(|dir| dir.join("templates")).as_deref())?;
        Ok(Engine { fonts, templates })
    }

    /// The fonts in use.
    pub fn fonts(&self) -> &FontSet {
        &self.fonts
    }

    /// The templates in use.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Checks the data and lays the document out without writing PDF: the pure half of
    /// `render`, for tests and for a layout preview.
    pub fn layout(&self, data: &LetterData, options: &RenderOptions) -> Result<Layout> {
        self.prepare(data, options).map(|prepared| prepared.layout)
    }

    /// Renders one document.
    pub fn render(&self, data: &LetterData, options: &RenderOptions) -> Result<Rendered> {
        let prepared = self.prepare(data, options)?;
        let title = data.kind.name_zh();
        let doc_id = &prepared.content_hash[..32];
        let write = WriteOptions {
            preview: options.preview,
            subset_fonts: options.subset_fonts,
        };
        let pdf = write_pdf(&prepared.layout, &self.fonts, title, doc_id, write);
        let sha256 = hex(&Sha256::digest(&pdf));
        Ok(Rendered {
            pdf,
            sha256,
            content_hash: prepared.content_hash,
            template_version: prepared.template_version,
            qr_payload: prepared.qr_payload,
            pages: prepared.layout.pages.len(),
        })
    }

    fn prepare(&self, data: &LetterData, options: &RenderOptions) -> Result<Prepared> {
        let composed = compose(&self.templates, data)?;
        let font = if data.kind.is_ticket() {
            &self.fonts.ticket
        } else {
            &self.fonts.letter
        };
        let mut sources = composed.sources.clone();
        // The page furniture is ours, but an office's own font may still lack some of it.
        sources.push((
            None,
            "信访件编号：查询码：文书校验码：— 0123456789".to_string(),
        ));
        let mut missing = font.missing(&sources);
        if options.preview {
            // The watermark is always set in the letter font, also on the ticket.
            let watermark = [(None, crate::render::WATERMARK.to_string())];
            for it in self.fonts.letter.missing(&watermark) {
                if !missing.iter().any(|seen| seen.ch == it.ch) {
                    missing.push(it);
                }
            }
        }
        if !missing.is_empty() {
            return Err(Error::MissingGlyph {
                font: font.name().to_string(),
                chars: missing,
            });
        }
        let proof = proof::proof(&composed)?;
        let layout = if data.kind.is_ticket() {
            layout::ticket(&composed, &self.fonts, &proof)
        } else {
            layout::letter(&composed, &self.fonts, &proof)
        };
        Ok(Prepared {
            layout,
            content_hash: proof.content_hash,
            qr_payload: proof.payload,
            template_version: composed.version,
        })
    }
}

struct Prepared {
    layout: Layout,
    content_hash: String,
    qr_payload: String,
    template_version: String,
}
