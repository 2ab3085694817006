//! Full-text search over matters: FTS5 trigram for terms of three or more characters, and a
//! unigram+bigram index for the one- and two-character terms that Chinese queries are full of
//! (姓名 张伟, 拆迁, 王) and that the trigram tokenizer cannot match.
//!
//! Both indexes are contentless and keyed by `matters.rid`, and results come back newest first
//! by walking the index in descending rowid: ranking by bm25 over a term that hits a fifth of a
//! million-row register costs a hundred milliseconds, while recency is what a clerk wants.

use rusqlite::{Connection, OptionalExtension, params};

use crate::Result;

/// The text a matter is found by: its number, petitioners, summary, request, facts, units.
pub const SEARCH_TEXT_SQL: &str = "number || ' ' || petitioner_names || ' ' || summary || ' ' || \
     request || ' ' || facts_reasons || ' ' || coalesce(involved_units, '')";

/// Splits `text` into space-separated unigram and bigram tokens over runs of letters and
/// digits: "拖欠工资" → "拖 拖欠 欠 欠工 工 工资 资". Punctuation breaks runs.
pub fn bigram_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        for (idx, ch) in run.iter().enumerate() {
            push_token(out, &[*ch]);
            if let Some(next) = run.get(idx + 1) {
                push_token(out, &[*ch, *next]);
            }
        }
        run.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            run.extend(ch.to_lowercase());
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn push_token(out: &mut String, chars: &[char]) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.extend(chars);
}

/// Re-indexes one matter (after registration or a petitioner rename).
pub fn index_matter(conn: &Connection, matter_id: &str) -> Result<()> {
    let found: Option<(i64, String)> = conn
        .prepare_cached(&format!(
            "SELECT rid, {SEARCH_TEXT_SQL} FROM matters WHERE id = ?1"
        ))?
        .query_row([matter_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((rid, text)) = found else {
        return Ok(());
    };
    conn.prepare_cached("DELETE FROM matter_trigram WHERE rowid = ?1")?
        .execute([rid])?;
    conn.prepare_cached("DELETE FROM matter_bigram WHERE rowid = ?1")?
        .execute([rid])?;
    conn.prepare_cached("INSERT INTO matter_trigram (rowid, body) VALUES (?1, ?2)")?
        .execute(params![rid, text])?;
    conn.prepare_cached("INSERT INTO matter_bigram (rowid, body) VALUES (?1, ?2)")?
        .execute(params![rid, bigram_tokens(&text)])?;
    Ok(())
}

/// Rebuilds both indexes from the `matters` table in two statements; used after bulk loads.
pub fn reindex(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!(
        "INSERT INTO matter_trigram (matter_trigram) VALUES ('delete-all');
         INSERT INTO matter_bigram (matter_bigram) VALUES ('delete-all');
         INSERT INTO matter_trigram (rowid, body) SELECT rid, {SEARCH_TEXT_SQL} FROM matters;
         INSERT INTO matter_bigram (rowid, body) SELECT rid, xf_bigrams({SEARCH_TEXT_SQL}) FROM matters;
         INSERT INTO matter_trigram (matter_trigram) VALUES ('optimize');
         INSERT INTO matter_bigram (matter_bigram) VALUES ('optimize');"
    ))?;
    Ok(())
}

/// A parsed text query: the FTS5 expressions for each index (None when no term needs it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextQuery {
    /// MATCH expression for `matter_trigram` (terms of 3+ characters).
    pub trigram: Option<String>,
    /// MATCH expression for `matter_bigram` (terms of 1–2 characters).
    pub bigram: Option<String>,
}

/// Turns what a clerk typed into index queries. Whitespace separates terms; all terms must
/// match. Every term is quoted, so FTS5 operators (`-`, `:`, `*`, `AND`, `NEAR`) typed by a
/// user are searched for literally instead of being interpreted.
pub fn parse_query(input: &str) -> TextQuery {
    let mut trigram = Vec::new();
    let mut bigram = Vec::new();
    for term in input.split_whitespace() {
        let len = term.chars().count();
        if len >= 3 {
            trigram.push(quote(term));
        } else {
            // Short terms go to the bigram index, which holds them lower-cased and without
            // punctuation; a term that is only punctuation cannot be found there and is dropped.
            let tokens = bigram_tokens(term);
            let token = tokens.split(' ').find(|t| t.chars().count() == len);
            if let Some(token) = token {
                bigram.push(quote(token));
            } else {
                for piece in tokens.split(' ').filter(|t| !t.is_empty()) {
                    bigram.push(quote(piece));
                }
            }
        }
    }
    let join = |terms: Vec<String>| (!terms.is_empty()).then(|| terms.join(" AND "));
    TextQuery {
        trigram: join(trigram),
        bigram: join(bigram),
    }
}

fn quote(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}
