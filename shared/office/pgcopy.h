/* pgcopy: a record as the rows of the warehouse's tables (config/warehouse.sql), in PostgreSQL's
 * COPY text format, for the warehouse's sink (warehouse.h). Pure: no libpq, no store.
 *
 * Each record stored at origin/seq has one `record` row, and by its type an `alert_change` row
 * (an alert's state after a change, its ledger as JSON), a `counter_sheet` row and its
 * `counter_row`s, or an `audit_entry` row. The body column is the record as `jiancha query
 * events --json` prints it. Every table is partitioned by local month: the rows say which months
 * each table needs.
 */
#ifndef JIANCHA_PGCOPY_H
#define JIANCHA_PGCOPY_H

#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/* The warehouse's tables a record has rows in (config/warehouse.sql). */
enum pgcopy_table {
    PGCOPY_RECORD,
    PGCOPY_ALERT_CHANGE,
    PGCOPY_COUNTER_SHEET,
    PGCOPY_COUNTER_ROW,
    PGCOPY_AUDIT_ENTRY,
    PGCOPY_TABLES_
};
/* "record", "alert_change" … */
const char *pgcopy_table_name(enum pgcopy_table t);
/* "COPY jiancha.TABLE (its columns, in the order the rows give them) FROM STDIN" */
void pgcopy_copy_sql(enum pgcopy_table t, char *out, size_t cap);

/* A local (+08:00) month as YYYYMM, of an instant and of a day number (calendar.h). */
int pgcopy_month_of_ms(int64_t ms);
int pgcopy_month_of_day(int64_t day);
/* The statement that makes a table's partition for a month (YYYYMM), if missing:
 * CREATE TABLE IF NOT EXISTS jiancha.record_y2026m11 PARTITION OF jiancha.record FOR VALUES
 * FROM ('2026-11-01 00:00:00+08') TO ('2026-12-01 00:00:00+08') (dates for the counter tables,
 * whose key is their day). */
void pgcopy_partition_sql(enum pgcopy_table t, int month, char *out, size_t cap);

/* The rows of a run of records in COPY text format, a buffer per table, and the months each
 * table needs a partition for. */
struct pgcopy_rows {
    struct wire_buf copy[PGCOPY_TABLES_];
    uint64_t lines[PGCOPY_TABLES_];
    int *months; /* table * 1000000 + YYYYMM, each once */
    size_t n_months, cap_months;
};
void pgcopy_rows_init(struct pgcopy_rows *r);
void pgcopy_rows_reset(struct pgcopy_rows *r);
void pgcopy_rows_fini(struct pgcopy_rows *r);

/* Appends the rows of the record stored at origin/seq: its `record` row, and by its type its
 * `alert_change`, `counter_sheet` and `counter_row`s, or `audit_entry` row. Text is made valid
 * for PostgreSQL (bytes that are not UTF-8, and NULs, become U+FFFD); a record that does not
 * decode still gets its `record` row (type "undecodable", its bytes in hex) so that no record is
 * left out. Returns the number of `record` rows added: 1, or 0 for a carried `batch` record,
 * which is not copied (its records are held under their origin). */
int pgcopy_rows_add(struct pgcopy_rows *r, uint32_t origin, uint64_t seq, const void *record,
                    size_t len);

#endif
