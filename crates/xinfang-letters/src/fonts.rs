//! Loading the letter and ticket fonts, measuring text with their advances, and finding
//! characters they cannot print.
//!
//! The fonts are read from disk at start-up rather than compiled in with `include_bytes!`: the
//! pair is about 26 MB, which would more than double every binary that links this crate (the
//! CLI, the server, the desktop shell, each test binary) and slow every link for text that
//! only some commands print. Parsing once costs tens of milliseconds; an [`crate::Engine`]
//! keeps them for its lifetime.

use std::path::{Path, PathBuf};

use printpdf::ParsedFont;

use crate::error::{Error, MissingChar, Result};

/// File name of the bundled letter font (Noto Serif CJK SC, a Song/Ming style close to what
/// 公文 use for running text when 仿宋 is not available).
pub const LETTER_FONT_FILE: &str = "NotoSerifCJKsc-Regular.otf";
/// File name of the bundled ticket font (Noto Sans CJK SC; thermal printers render a sans
/// face more legibly at small sizes).
pub const TICKET_FONT_FILE: &str = "NotoSansCJKsc-Regular.otf";

/// One parsed font face.
#[derive(Debug, Clone)]
pub struct Font {
    pub(crate) parsed: ParsedFont,
    name: String,
    units_per_em: f32,
}

impl Font {
    /// Reads a font file; `face_index` picks the face inside a `.ttc` collection (0 otherwise).
    pub fn from_file(path: &Path, face_index: usize) -> Result<Font> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        Font::from_bytes(&bytes, face_index, &name).map_err(|reason| Error::Font {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses font bytes; `name` is how errors refer to the font.
    pub fn from_bytes(
        bytes: &[u8],
        face_index: usize,
        name: &str,
    ) -> std::result::Result<Font, String> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, face_index, &mut warnings)
            .ok_or_else(|| "not a font this program can read".to_string())?;
        let units_per_em = f32::from(parsed.font_metrics.units_per_em);
        if units_per_em <= 0.0 {
            return Err("font has no units per em".to_string());
        }
        if parsed.lookup_glyph_index(u32::from('0')).is_none() {
            // Droid Sans Fallback is the known case: no ASCII at all, so case numbers and
            // phone numbers would vanish from the page.
            return Err("font has no ASCII digits".to_string());
        }
        Ok(Font {
            parsed,
            name: name.to_string(),
            units_per_em,
        })
    }

    /// How errors and the proof block name this font.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the font has a real glyph (not .notdef) for `ch`.
    pub fn has_glyph(&self, ch: char) -> bool {
        matches!(self.parsed.lookup_glyph_index(u32::from(ch)), Some(gid) if gid != 0)
    }

    /// The advance of `ch` in em (1.0 = the font size). Characters without a glyph measure as
    /// one em; they are refused before layout anyway.
    pub fn advance_em(&self, ch: char) -> f32 {
        match self.parsed.lookup_glyph_index(u32::from(ch)) {
            Some(gid) if gid != 0 => {
                f32::from(self.parsed.get_horizontal_advance(gid)) / self.units_per_em
            }
            _ => 1.0,
        }
    }

    /// Width of `text` at `size` points, with `tracking` points added after every character.
    pub fn width(&self, text: &str, size: f32, tracking: f32) -> f32 {
        text.chars()
            .map(|ch| self.advance_em(ch) * size + tracking)
            .sum()
    }

    /// Every character of `sources` the font cannot print, once each, in order of appearance.
    /// Whitespace is skipped: it is never drawn.
    pub(crate) fn missing(&self, sources: &[(Option<String>, String)]) -> Vec<MissingChar> {
        let mut found: Vec<MissingChar> = Vec::new();
        for (field, text) in sources {
            for ch in text.chars() {
                if ch.is_whitespace() || self.has_glyph(ch) || found.iter().any(|it| it.ch == ch) {
                    continue;
                }
                found.push(MissingChar {
                    ch,
                    code_point: format!("U+{:04X}", u32::from(ch)),
                    field: field.clone(),
                });
            }
        }
        found
    }
}

/// The two faces documents use.
#[derive(Debug, Clone)]
pub struct FontSet {
    /// Used for every A4 document.
    pub letter: Font,
    /// Used for the queue ticket.
    pub ticket: Font,
}

impl FontSet {
    /// Loads both bundled fonts from `dir`.
    pub fn from_dir(dir: &Path) -> Result<FontSet> {
        Ok(FontSet {
            letter: Font::from_file(&dir.join(LETTER_FONT_FILE), 0)?,
            ticket: Font::from_file(&dir.join(TICKET_FONT_FILE), 0)?,
        })
    }

    /// Loads the bundled fonts from the first of [`font_dirs`] that holds both files.
    pub fn load(data_dir: Option<&Path>) -> Result<FontSet> {
        let searched = font_dirs(data_dir);
        match searched.iter().find(|dir| {
            dir.join(LETTER_FONT_FILE).is_file() && dir.join(TICKET_FONT_FILE).is_file()
        }) {
            Some(dir) => FontSet::from_dir(dir),
            None => Err(Error::FontsNotFound { searched }),
        }
    }

    /// Replaces the letter font, e.g. with an office's licensed 仿宋_GB2312 file.
    pub fn with_letter_font(mut self, font: Font) -> FontSet {
        self.letter = font;
        self
    }
}

/// Where the bundled fonts are looked for, in order:
///
/// 1. `<data_dir>/fonts`: an administrator's override next to the register;
/// 2. `fonts/` beside the executable, then `../share/xinfang-desk/fonts` and
///    `../lib/xinfang-desk/fonts` from it: where a package puts them;
/// 3. the source tree's `assets/fonts`, for `cargo run` and tests.
pub fn font_dirs(data_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = data_dir {
        dirs.push(dir.join("fonts"));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .as_deref()
        .and_then(Path::parent)
    {
        dirs.push(exe_dir.join("fonts"));
        dirs.push(exe_dir.join("../share/xinfang-desk/fonts"));
        dirs.push(exe_dir.join("../lib/xinfang-desk/fonts"));
    }
    dirs.push(bundled_font_dir());
    dirs
}

/// The source tree's font folder (`assets/fonts` at the workspace root).
pub fn bundled_font_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts")
}
