-- jiancha's warehouse in PostgreSQL (docs/warehouse.md): every record an aggregator stores,
-- copied by its sink (shared/office/warehouse.c) with the sink's position in the same
-- transaction, so each record is here exactly once.
--
-- The sink runs this whole file, in one transaction under its advisory lock, when it connects
-- to a database whose jiancha.sink row names no schema version or another one (a new database, an
-- upgrade); every statement is idempotent (IF NOT EXISTS, OR REPLACE), so an operator only gives
-- the connection string, and a DBA may run it by hand first (psql -1 -f warehouse.sql) to own the
-- objects. Times are timestamptz; local days and months are China's (+08:00), as everywhere in
-- jiancha. The tables are partitioned by local month; the sink creates each month's partition
-- (jiancha.TABLE_yYYYYmMM) before it copies a record into that month. There is no default
-- partition: a row with no month to go to would have to be moved out of it before that month's
-- partition could be made.

CREATE SCHEMA IF NOT EXISTS jiancha;

-- Whose store this warehouse copies: one aggregator per database (two would copy the same
-- origins twice). The sink refuses a warehouse that names another node.
CREATE TABLE IF NOT EXISTS jiancha.sink (
    only_one boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    node text NOT NULL,
    schema_version integer NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);

-- The sink's position: for each origin node, the last record sequence whose rows are committed
-- here. Written in the transaction that copies those rows; read back at every connection (this
-- table is the truth, not the aggregator's store).
CREATE TABLE IF NOT EXISTS jiancha.position (
    node text PRIMARY KEY,
    seq bigint NOT NULL,
    records bigint NOT NULL,
    copied_at timestamptz NOT NULL
);

-- Every record of every origin (business events, supervision actions, alert changes, counter
-- sheets, audit entries, bundle and key notes) as the store holds it: (node, seq) is its key in
-- the store, body the record as `jiancha query events --json` prints it.
CREATE TABLE IF NOT EXISTS jiancha.record (
    node text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    type text NOT NULL,
    id text NOT NULL,
    dept text,
    case_id text,
    item text,
    alert_id text,
    body jsonb NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX IF NOT EXISTS record_node_seq ON jiancha.record (node, seq);
CREATE INDEX IF NOT EXISTS record_type_at ON jiancha.record (type, at);
CREATE INDEX IF NOT EXISTS record_case ON jiancha.record (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS record_alert ON jiancha.record (alert_id) WHERE alert_id IS NOT NULL;

-- Each `alert` record: an alert's state after one change, its ledger included. The latest
-- change of an id is its state (jiancha.alert_current).
CREATE TABLE IF NOT EXISTS jiancha.alert_change (
    node text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    alert_id text NOT NULL,
    changes integer NOT NULL,
    alert_node text NOT NULL,
    rule text NOT NULL,
    article text NOT NULL,
    light text NOT NULL,
    finding text NOT NULL,
    state text NOT NULL,
    dept text NOT NULL,
    item text NOT NULL,
    subject_kind text NOT NULL,
    subject text NOT NULL,
    raised_at timestamptz,
    queue text,
    answer_due_at timestamptz,
    responded_at timestamptz,
    corrected_at timestamptz,
    closed_at timestamptz,
    steps integer NOT NULL,
    detail text NOT NULL,
    ledger jsonb NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX IF NOT EXISTS alert_change_latest ON jiancha.alert_change (alert_id, node, seq);
CREATE INDEX IF NOT EXISTS alert_change_rule ON jiancha.alert_change (rule, raised_at);

-- Each `counters` record (a node's day sheet, spec §6) and its rows. Per node and day only the
-- sheet with the highest version counts (jiancha.counter_current), as at every tier.
CREATE TABLE IF NOT EXISTS jiancha.counter_sheet (
    node text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    day date NOT NULL,
    version bigint NOT NULL
) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS counter_sheet_day ON jiancha.counter_sheet (node, day, version);

CREATE TABLE IF NOT EXISTS jiancha.counter_row (
    node text NOT NULL,
    day date NOT NULL,
    version bigint NOT NULL,
    dept text NOT NULL,
    category text NOT NULL,
    cases bigint NOT NULL,
    concluded bigint NOT NULL,
    on_time bigint NOT NULL,
    red bigint NOT NULL,
    yellow bigint NOT NULL,
    response_due bigint NOT NULL,
    responded_in_time bigint NOT NULL,
    ratings bigint NOT NULL,
    ratings_good bigint NOT NULL,
    complaints bigint NOT NULL,
    escalated bigint NOT NULL
) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS counter_row_sheet ON jiancha.counter_row (node, day, version);

-- Each `audit` record: an operator's request at a node, stored or refused (audit.h), with the
-- chain's previous hash and the operator's signature as bytes.
CREATE TABLE IF NOT EXISTS jiancha.audit_entry (
    node text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    n bigint NOT NULL,
    prev bytea NOT NULL,
    operator text NOT NULL,
    role text NOT NULL,
    action text NOT NULL,
    record text NOT NULL,
    record_seq bigint NOT NULL,
    outcome text NOT NULL,
    request text NOT NULL,
    sig bytea NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX IF NOT EXISTS audit_entry_chain ON jiancha.audit_entry (node, n);
CREATE INDEX IF NOT EXISTS audit_entry_operator ON jiancha.audit_entry (operator, at);

-- ---- helpers: China's local days, the tree of division codes, the formula of spec §6 ----

CREATE OR REPLACE FUNCTION jiancha.local_day(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ((t AT TIME ZONE 'UTC') + interval '8 hours')::date $$;

CREATE OR REPLACE FUNCTION jiancha.day_start(d date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (d::timestamp - interval '8 hours') AT TIME ZONE 'UTC' $$;

-- Is `node` at or below `root` (a province holds its cities and counties, a city its counties)?
CREATE OR REPLACE FUNCTION jiancha.node_under(node text, root text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT node = root
        OR (right(root, 4) = '0000' AND left(node, 2) = left(root, 2))
        OR (right(root, 2) = '00' AND right(root, 4) <> '0000' AND right(node, 2) <> '00'
            AND left(node, 4) = left(root, 4))
    $$;

-- A department's alert (judged from business events, counted in the scores), not the
-- platform's or an office's own (shared/record/alert.c, alert_is_department).
CREATE OR REPLACE FUNCTION jiancha.is_department(rule text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT NOT (rule LIKE 'node.%' OR rule LIKE 'key.%' OR rule LIKE 'cert.%'
                OR rule LIKE 'calendar.%' OR rule IN ('patrol.shortfall', 'supervision.overdue'))
    $$;

-- The rates of spec §6: a rate with no denominator counts as 1.
CREATE OR REPLACE FUNCTION jiancha.rate(num bigint, den bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN den > 0 THEN num::float8 / den::float8 ELSE 1.0::float8 END $$;

-- The share of cases with a light, capped at 1 (no cases: 1 if any light).
CREATE OR REPLACE FUNCTION jiancha.light_term(lights bigint, cases bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT 1.0::float8 - least(CASE WHEN cases > 0 THEN lights::float8 / cases::float8
                                    WHEN lights > 0 THEN 1.0::float8 ELSE 0.0::float8 END,
                               1.0::float8)
    $$;

-- The score of spec §6 in float8, term by term in the order shared/judge/score.c adds them, so
-- it is the very number `jiancha query scores` prints.
CREATE OR REPLACE FUNCTION jiancha.score(cases bigint, concluded bigint, on_time bigint,
                                         red bigint, yellow bigint, ratings bigint,
                                         ratings_good bigint, response_due bigint,
                                         responded_in_time bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT 100.0::float8 * (0.35::float8 * jiancha.rate(on_time, concluded)
                            + 0.25::float8 * jiancha.light_term(red, cases)
                            + 0.10::float8 * jiancha.light_term(yellow, cases)
                            + 0.15::float8 * jiancha.rate(ratings_good, ratings)
                            + 0.15::float8 * jiancha.rate(responded_in_time, response_due))
    $$;

CREATE OR REPLACE FUNCTION jiancha.grade(score float8) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN score >= 90 THEN '优秀' WHEN score >= 75 THEN '良好'
                WHEN score >= 60 THEN '合格' ELSE '不合格' END
    $$;

-- ---- views: what `jiancha query scores`, `query alerts` and `report monthly` compute ----

-- The rows of the sheet in force for each node and day.
CREATE OR REPLACE VIEW jiancha.counter_current AS
SELECT r.*
FROM jiancha.counter_row r
JOIN (SELECT node, day, max(version) AS version FROM jiancha.counter_sheet GROUP BY node, day) s
    USING (node, day, version);

-- Counter sums per local month, grouped as `query scores --by node|dept|category|region`
-- groups them (a region is a city and its province: a county counts in both).
CREATE OR REPLACE VIEW jiancha.score_counts AS
SELECT to_char(c.day, 'YYYY-MM') AS period, g.by, g.key,
       sum(c.cases)::bigint AS cases, sum(c.concluded)::bigint AS concluded,
       sum(c.on_time)::bigint AS on_time, sum(c.red)::bigint AS red,
       sum(c.yellow)::bigint AS yellow, sum(c.ratings)::bigint AS ratings,
       sum(c.ratings_good)::bigint AS ratings_good, sum(c.response_due)::bigint AS response_due,
       sum(c.responded_in_time)::bigint AS responded_in_time,
       sum(c.escalated)::bigint AS escalated, sum(c.complaints)::bigint AS complaints
FROM jiancha.counter_current c
CROSS JOIN LATERAL (VALUES
    ('node', c.node),
    ('dept', c.node || '/' || c.dept),
    ('category', c.node || '/' || c.category),
    ('region', nullif(left(c.node, 4) || '00', left(c.node, 2) || '0000')),
    ('region', left(c.node, 2) || '0000')) g(by, key)
WHERE g.key IS NOT NULL
GROUP BY 1, 2, 3;

-- The scores of `jiancha query scores --period P --by B --json`, ranked as it ranks them (best
-- score first, then by key).
CREATE OR REPLACE VIEW jiancha.scores AS
SELECT s.*,
       jiancha.rate(s.on_time, s.concluded) AS on_time_rate,
       jiancha.rate(s.ratings_good, s.ratings) AS satisfaction_rate,
       jiancha.rate(s.responded_in_time, s.response_due) AS response_rate,
       s.score_value AS score,
       jiancha.grade(s.score_value) AS grade,
       row_number() OVER (PARTITION BY s.period, s.by
                          ORDER BY s.score_value DESC, s.key COLLATE "C") AS rank
FROM (SELECT sc.*,
             jiancha.score(sc.cases, sc.concluded, sc.on_time, sc.red, sc.yellow, sc.ratings,
                           sc.ratings_good, sc.response_due, sc.responded_in_time) AS score_value
      FROM jiancha.score_counts sc) s;

-- Each alert's state: its latest change (the last in the store's order, node then sequence).
CREATE OR REPLACE VIEW jiancha.alert_current AS
SELECT DISTINCT ON (alert_id) *
FROM jiancha.alert_change
ORDER BY alert_id, node DESC, seq DESC;

-- The alerts as a tier's board shows them (shared/office/board.c): answers and closings entered
-- at another node than the alert's own shown over its state, and the open supervision case on
-- it.
CREATE OR REPLACE VIEW jiancha.alert_board AS
SELECT a.*,
       CASE
           WHEN a.state IN ('open', 'responded') AND EXISTS (
                SELECT 1 FROM jiancha.record x
                WHERE x.alert_id = a.alert_id AND x.type = 'alert.close' AND x.node <> a.alert_node)
               THEN 'closed'
           WHEN a.state IN ('open', 'responded') AND EXISTS (
                SELECT 1 FROM jiancha.record x
                WHERE x.alert_id = a.alert_id AND x.type = 'alert.respond'
                  AND x.node <> a.alert_node
                  AND (a.responded_at IS NULL
                       OR (x.body->>'action' = 'correct' AND a.corrected_at IS NULL)))
               THEN 'responded'
           ELSE a.state
       END AS board_state,
       (SELECT o.body->>'supervision'
        FROM jiancha.record o
        WHERE o.alert_id = a.alert_id AND o.type = 'supervise.open'
          AND NOT EXISTS (SELECT 1 FROM jiancha.record c
                          WHERE c.type = 'supervise.close' AND c.node = o.node
                            AND c.body->>'supervision' = o.body->>'supervision')
        ORDER BY o.node, o.seq
        LIMIT 1) AS supervision
FROM jiancha.alert_current a;

-- ---- the monthly report (art. 12, 13) ----

-- The figures of `jiancha report monthly --period P --tier-root ROOT --format csv`, one row per
-- CSV line (its name column left out) for the sections the records decide: period, total, node
-- (with rank), node_lights, category, region, rule, trend, notable, the handling of the month's
-- department alerts (alerts, open, responded, closed, referred, supervised) and each office's
-- patrols and short days. Left out, as they need the working-day calendar and today's date: an
-- office's working days so far and the supervision cases' figures (cases_*).
CREATE OR REPLACE FUNCTION jiancha.report_monthly(p_period text, p_root text)
RETURNS TABLE (section text, key text, metric text, value float8)
LANGUAGE sql STABLE
AS $fn$
WITH b AS (
    SELECT to_date(p_period || '-01', 'YYYY-MM-DD') AS first,
           (to_date(p_period || '-01', 'YYYY-MM-DD') + interval '1 month')::date AS next
), cur AS (
    SELECT c.* FROM jiancha.counter_current c, b
    WHERE c.day >= b.first AND c.day < b.next AND jiancha.node_under(c.node, p_root)
), lights AS (
    SELECT a.* FROM jiancha.alert_board a, b
    WHERE a.state <> 'cleared' AND jiancha.node_under(a.alert_node, p_root)
      AND jiancha.is_department(a.rule)
      AND a.raised_at >= jiancha.day_start(b.first) AND a.raised_at < jiancha.day_start(b.next)
), sums AS (
    -- counter sums by group: g = the section, k = its key (a region is the root or a city
    -- under it)
    SELECT v.g, v.k, cur.*
    FROM cur CROSS JOIN LATERAL (VALUES
        ('total', p_root),
        ('node', cur.node),
        ('category', cur.category),
        ('region', nullif(left(cur.node, 4) || '00', left(cur.node, 2) || '0000')),
        ('region', left(cur.node, 2) || '0000')) v(g, k)
    WHERE v.k IS NOT NULL
      AND (v.g <> 'region' OR (jiancha.node_under(v.k, p_root) AND right(v.k, 2) = '00'))
), groups AS (
    SELECT g, k, sum(cases)::bigint AS cases, sum(concluded)::bigint AS concluded,
           sum(on_time)::bigint AS on_time, sum(red)::bigint AS red,
           sum(yellow)::bigint AS yellow, sum(response_due)::bigint AS response_due,
           sum(responded_in_time)::bigint AS responded_in_time,
           sum(ratings)::bigint AS ratings, sum(ratings_good)::bigint AS ratings_good,
           sum(complaints)::bigint AS complaints
    FROM sums GROUP BY g, k
    -- every node with lights in the month has a row, with no counts if it has no sheet
    UNION ALL
    SELECT DISTINCT 'node', l.alert_node, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM lights l WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.node = l.alert_node)
    -- the total is there with no sheet at all
    UNION ALL
    SELECT 'total', p_root, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM cur)
), scored AS (
    SELECT groups.*,
           jiancha.score(cases, concluded, on_time, red, yellow, ratings, ratings_good,
                         response_due, responded_in_time) AS score
    FROM groups
), nodes AS (
    SELECT k, row_number() OVER (ORDER BY score DESC, k COLLATE "C") AS rank
    FROM scored WHERE g = 'node'
), offices AS (
    SELECT r.node AS k, 1 AS patrols, 0 AS short_days
    FROM jiancha.record r, b
    WHERE r.type = 'patrol' AND jiancha.node_under(r.node, p_root)
      AND r.at >= jiancha.day_start(b.first) AND r.at < jiancha.day_start(b.next)
    UNION ALL
    SELECT a.alert_node, 0, 1
    FROM jiancha.alert_board a, b
    WHERE a.rule = 'patrol.shortfall' AND a.state <> 'cleared'
      AND jiancha.node_under(a.alert_node, p_root)
      AND (CASE WHEN a.subject ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                THEN jiancha.day_start(a.subject::date) ELSE a.raised_at END)
          >= jiancha.day_start(b.first)
      AND (CASE WHEN a.subject ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                THEN jiancha.day_start(a.subject::date) ELSE a.raised_at END)
          < jiancha.day_start(b.next)
    UNION ALL
    SELECT k, 0, 0 FROM nodes
), months AS (
    SELECT to_char(b.first - make_interval(months => k), 'YYYY-MM') AS month,
           (b.first - make_interval(months => k))::date AS first,
           (b.first - make_interval(months => k - 1))::date AS next
    FROM b, generate_series(0, 5) k
), notable AS (
    SELECT l.alert_id, l.alert_node,
           row_number() OVER (ORDER BY coalesce(array_position(ARRAY[
               'execution.mismatch', 'discretion', 'evidence.altered', 'evidence.missing',
               'qualification', 'procedure.order', 'item.unlisted', 'limit.legal',
               'basis.missing', 'procedure.rollback', 'limit.case', 'complaint.overdue',
               'item.offline', 'execution.missing', 'item.mismatch', 'disclosure.late',
               'limit.step', 'rating.bad'], l.rule) - 1, 18),
               l.raised_at, l.alert_id COLLATE "C") AS rank
    FROM lights l WHERE l.light = 'red'
)
SELECT 'period', p_period, 'tier_root', p_root::float8
UNION ALL
SELECT s.g, s.k, m.metric, m.value
FROM scored s CROSS JOIN LATERAL (VALUES
    ('cases', s.cases::float8), ('concluded', s.concluded::float8),
    ('on_time', s.on_time::float8), ('red', s.red::float8), ('yellow', s.yellow::float8),
    ('response_due', s.response_due::float8),
    ('responded_in_time', s.responded_in_time::float8), ('ratings', s.ratings::float8),
    ('ratings_good', s.ratings_good::float8), ('complaints', s.complaints::float8),
    ('score', s.score)) m(metric, value)
UNION ALL
SELECT 'node', k, 'rank', rank::float8 FROM nodes
UNION ALL
SELECT 'node_lights', n.k, m.metric,
       (SELECT count(*) FROM lights l
        WHERE l.alert_node = n.k AND (l.light = 'red') = (m.metric = 'red'))::float8
FROM nodes n CROSS JOIN (VALUES ('yellow'), ('red')) m(metric)
UNION ALL
SELECT 'rule', l.rule, m.metric, count(*) FILTER (WHERE (l.light = 'red') = (m.metric = 'red'))
FROM lights l CROSS JOIN (VALUES ('yellow'), ('red')) m(metric)
GROUP BY l.rule, m.metric
UNION ALL
SELECT 'handling', p_root, m.metric, m.value
FROM (SELECT count(*) AS alerts,
             count(*) FILTER (WHERE board_state = 'open') AS open,
             count(*) FILTER (WHERE board_state = 'responded') AS responded,
             count(*) FILTER (WHERE board_state = 'closed') AS closed,
             count(*) FILTER (WHERE coalesce(queue, '') <> '') AS referred,
             count(*) FILTER (WHERE supervision IS NOT NULL) AS supervised
      FROM lights) h
CROSS JOIN LATERAL (VALUES ('alerts', h.alerts::float8), ('open', h.open::float8),
                           ('responded', h.responded::float8), ('closed', h.closed::float8),
                           ('referred', h.referred::float8),
                           ('supervised', h.supervised::float8)) m(metric, value)
UNION ALL
SELECT 'patrol', o.k, m.metric, CASE WHEN m.metric = 'patrols' THEN sum(o.patrols)
                                     ELSE sum(o.short_days) END::float8
FROM offices o CROSS JOIN (VALUES ('patrols'), ('short_days')) m(metric)
GROUP BY o.k, m.metric
UNION ALL
SELECT 'trend', mo.month, m.metric,
       CASE m.metric
           WHEN 'cases' THEN (SELECT coalesce(sum(c.cases), 0) FROM jiancha.counter_current c
                              WHERE c.day >= mo.first AND c.day < mo.next
                                AND jiancha.node_under(c.node, p_root))
           ELSE (SELECT count(*) FROM jiancha.alert_board a
                 WHERE a.state <> 'cleared' AND jiancha.node_under(a.alert_node, p_root)
                   AND jiancha.is_department(a.rule)
                   AND (a.light = 'red') = (m.metric = 'red')
                   AND a.raised_at >= jiancha.day_start(mo.first)
                   AND a.raised_at < jiancha.day_start(mo.next))
       END::float8
FROM months mo CROSS JOIN (VALUES ('cases'), ('yellow'), ('red')) m(metric)
UNION ALL
SELECT 'notable', n.alert_id, n.alert_node, n.rank::float8 FROM notable n WHERE n.rank <= 10
$fn$;
