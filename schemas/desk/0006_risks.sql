-- 矛盾纠纷排查 and the 重大不稳定问题清单: risks found at village, township or county level, each
-- with an owner, a plan and a deadline, progress notes, and 销号 (closing off). Projections of
-- the `risk.*` events.

CREATE TABLE risks (
    id          TEXT PRIMARY KEY,
    level       TEXT NOT NULL,            -- village | township | county
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    region_code TEXT,
    owner       TEXT NOT NULL,            -- 责任人 / 责任单位
    plan        TEXT NOT NULL,            -- 化解措施
    deadline    TEXT NOT NULL,            -- 化解时限
    major       INTEGER NOT NULL,         -- listed as 重大不稳定问题
    matter_id   TEXT REFERENCES matters (id),
    status      TEXT NOT NULL,            -- open | closed
    closed_on   TEXT,
    result      TEXT,                     -- 销号 result
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX risks_open_deadline ON risks (deadline) WHERE status = 'open';

CREATE TABLE risk_progress (
    id      TEXT PRIMARY KEY,
    risk_id TEXT NOT NULL REFERENCES risks (id),
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    note    TEXT NOT NULL
);
CREATE INDEX risk_progress_risk ON risk_progress (risk_id, at);
