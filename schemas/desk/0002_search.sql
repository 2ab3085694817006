-- Full-text search over matters, added as its own migration so registers created before it
-- get their existing matters indexed on upgrade (the INSERT ... SELECT at the end). The
-- `xf_bigrams` SQL function is registered by the core on every connection before migrating.
-- Both indexes are contentless and keyed by matters.rid; they are derived data, rebuilt by
-- `search::reindex`, and not part of the row-by-row verify comparison.
-- Trigram: any substring of three or more characters.
CREATE VIRTUAL TABLE matter_trigram USING fts5 (
    body, content = '', contentless_delete = 1, tokenize = 'trigram'
);
-- Unigram + bigram tokens (pre-split by the core): one- and two-character queries, which the
-- trigram tokenizer cannot answer (张伟, 拆迁, 王).
CREATE VIRTUAL TABLE matter_bigram USING fts5 (
    body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
);

INSERT INTO matter_trigram (rowid, body)
SELECT rid, number || ' ' || petitioner_names || ' ' || summary || ' ' || request || ' ' ||
       facts_reasons || ' ' || coalesce(involved_units, '')
FROM matters;
INSERT INTO matter_bigram (rowid, body)
SELECT rid, xf_bigrams(number || ' ' || petitioner_names || ' ' || summary || ' ' || request ||
       ' ' || facts_reasons || ' ' || coalesce(involved_units, ''))
FROM matters;
