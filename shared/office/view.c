/* view: a tier's store as JSON for screens and scripts. See view.h. */
#include "view.h"

#include "board.h"
#include "bundle.h"
#include "counter.h"
#include "coverage.h"
#include "desk.h"
#include "disk.h"
#include "err.h"
#include "event.h"
#include "expiry.h"
#include "ingest.h"
#include "kept.h"
#include "mem.h"
#include "node.h"
#include "timestamp.h"
#include "watch.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

static const struct {
    const char *rule, *zh;
} rule_names[] = {
    {"limit.case", "承诺时限"},
    {"limit.legal", "法定时限"},
    {"limit.step", "环节时限"},
    {"procedure.order", "违反办理程序"},
    {"procedure.rollback", "违规回退"},
    {"qualification", "办理人员无资格"},
    {"evidence.missing", "证据缺失"},
    {"evidence.altered", "证据被更改"},
    {"basis.missing", "缺少法律依据"},
    {"discretion", "超出裁量基准"},
    {"execution.mismatch", "执行与决定不符"},
    {"execution.missing", "决定未执行"},
    {"item.unlisted", "清单外行使权力"},
    {"item.offline", "事项未公开"},
    {"item.mismatch", "公开信息与清单不符"},
    {"disclosure.late", "公开不及时"},
    {"rating.bad", "群众不满意"},
    {"complaint.overdue", "投诉信访超期"},
    {"supervision.overdue", "督办超期"},
    {"patrol.shortfall", "巡查不足"},
    {"node.silent", "节点失联"},
    {"node.clock", "节点时钟偏差"},
    {"node.disk", "节点存储空间不足"},
    {"node.clone", "节点克隆"},
    {"key.compromised", "密钥泄露"},
    {"calendar.coverage", "工作日历未覆盖"},
    {"cert.expiring", "证书即将到期"},
};

static const struct {
    const char *category, *zh;
} category_names[] = {
    {"licensing", "行政许可"},    {"penalty", "行政处罚"},
    {"levy", "行政征收"},         {"enforcement", "行政强制"},
    {"confirmation", "行政确认"}, {"adjudication", "行政裁决"},
    {"payment", "行政给付"},      {"other", "其他"},
};

const char *
view_rule_name(const char *rule)
{
    for (size_t i = 0; i < sizeof rule_names / sizeof rule_names[0]; i++)
        if (strcmp(rule_names[i].rule, rule) == 0)
            return rule_names[i].zh;
    return rule;
}

const char *
view_category_name(const char *category)
{
    for (size_t i = 0; i < sizeof category_names / sizeof category_names[0]; i++)
        if (strcmp(category_names[i].category, category) == 0)
            return category_names[i].zh;
    return category;
}

const char *
view_handling_name(const struct alert *a)
{
    /* platform alarms and an office's own findings take no answer: they clear when their cause
     * is gone (docs/office.md) */
    bool answered = alert_is_department(a->rule);
    switch (a->state) {
    case ALERT_OPEN:
        return answered ? "待答复" : "待消除";
    case ALERT_RESPONDED:
        return a->corrected_ms ? "已整改" : "已说明";
    case ALERT_CLOSED:
        return "已摘牌";
    default:
        return "已消除";
    }
}

/* ---- details in Chinese ---- */

/* The sentences the rules and alarms write (shared/judge, shared/uplink), each with its Chinese:
 * \1..\9 in the Chinese are the pattern's groups. A sentence changed in the code and not here is
 * shown in English (view_test checks one of each). */
static const struct {
    const char *pattern, *zh;
} details[] = {
    {"^limit of ([0-9]+) working days used up$", "\\1 个工作日的时限已用尽"},
    {"^limit of ([0-9]+) days used up$", "\\1 日的时限已用尽"},
    {"^([0-9]+) of ([0-9]+) working days used$", "\\2 个工作日的时限已用去 \\1 个工作日"},
    {"^([0-9]+) of ([0-9]+) days used$", "\\2 日的时限已用去 \\1 日"},
    {"^handler (.+) has no (.+) credential valid at that moment$",
     "办理人 \\1 办理时没有有效的 \\2 执法资格"},
    {"^decision without required evidence: ?(video)? ?(audio)? ?(photo)? ?(document)?$",
     "作出决定时缺少必需的证据：\\1\\2\\3\\4"},
    {"^basis \"(.*)\" is not in the item's catalogue basis$", "依据“\\1”不在该事项清单所列依据之中"},
    {"^penalty level (.+) is not defined for the item$", "该事项没有裁量档次 \\1"},
    {"^penalty ([0-9.]+) yuan outside level (.+) \\(([0-9.]+) to ([0-9.]+)\\)$",
     "罚款 \\1 元超出裁量档次 \\2（\\3 至 \\4 元）"},
    {"^item (.+) is not in the catalogue for node ([0-9]+) dept (.+)$",
     "事项 \\1 不在节点 \\2 部门 \\3 的权力清单中"},
    {"^step \"(.*)\" entered from \"(.*)\": not a step of the item$",
     "从“\\2”进入“\\1”：该事项没有此环节"},
    {"^step \"(.*)\" entered from \"(.*)\": not the next step$",
     "从“\\2”进入“\\1”：不是下一个环节"},
    {"^return from \"(.*)\" to \"(.*)\" is not allowed$", "不允许从“\\1”退回“\\2”"},
    {"^evidence (.+) registered again with another hash after the decision$",
     "证据 \\1 在作出决定后以不同的摘要重新登记"},
    {"^evidence (.+) removed after the decision$", "证据 \\1 在作出决定后被删除"},
    {"^executed ([0-9.]+) yuan, decided ([0-9.]+) yuan$", "执行 \\1 元，决定 \\2 元"},
    {"^applicant rated ([0-9]+) of 5: call back within 1 wd, fix within 15 wd$",
     "申请人评价 \\1 分（满分 5 分）：1 个工作日内回访，15 个工作日内整改"},
    {"^penalty decided, no execution after ([0-9]+) d \\+ ([0-9]+) wd$",
     "处罚已决定，\\1 日又 \\2 个工作日后仍未执行"},
    {"^published (.+) differs from the catalogue$", "公开的\\1与权力清单不符"},
    {"^public item not published 5 working days after it took effect$",
     "事项生效后 5 个工作日内未公开"},
    {"^published more than 20 working days after it was generated$",
     "信息生成后超过 20 个工作日才公开"},
    {"^(complaint|petition|[a-z]+) open for ([0-9]+) of ([0-9]+) working days$",
     "投诉信访已办理 \\2 个工作日（时限 \\3 个工作日）"},
    {"^(complaint|petition|[a-z]+) open for ([0-9]+) of ([0-9]+) days$",
     "投诉信访已办理 \\2 日（时限 \\3 日）"},
    {"^(complaint|petition|[a-z]+) open past its limit of ([0-9]+) working days$",
     "投诉信访超过 \\2 个工作日的时限仍未办结"},
    {"^(complaint|petition|[a-z]+) open past its limit of ([0-9]+) days$",
     "投诉信访超过 \\2 日的时限仍未办结"},
    {"^no report from ([0-9]+)/?([^ ]*) within ([0-9]+) working days$",
     "\\1 \\2 未在 \\3 个工作日内报告督办结果"},
    {"^patrols short on ([0-9-]+): own platform ([0-9]+) of ([0-9]+), cities ([0-9]+) of ([0-9]+), "
     "counties ([0-9]+) of ([0-9]+) patrolled$",
     "\\1 巡查不足：本级平台 \\2/\\3 次，市州 \\4/\\5 个，县市区 \\6/\\7 个"},
    {"^patrols short on ([0-9-]+): own platform ([0-9]+) of ([0-9]+); ([0-9]+) counties not "
     "patrolled, first ([0-9]+)$",
     "\\1 巡查不足：本级平台 \\2/\\3 次，\\4 个县市区未巡查（首个 \\5）"},
    {"^patrols short on ([0-9-]+): own platform ([0-9]+) of ([0-9]+); ([0-9]+) counties not "
     "patrolled$",
     "\\1 巡查不足：本级平台 \\2/\\3 次"},
    {"^patrols short on ([0-9-]+): own platform ([0-9]+) of ([0-9]+)$",
     "\\1 巡查不足：本级平台 \\2/\\3 次"},
    {"^child ([0-9]+): batch chain stuck at batch ([0-9]+) for ([0-9]+)s$",
     "下级节点 \\1 的批次链停在第 \\2 批已 \\3 秒"},
    {"^child ([0-9]+) silent for ([0-9]+)s$", "下级节点 \\1 已 \\2 秒没有消息"},
    {"^the node's clock is ([0-9]+) s ahead of its parent's \\(bound ([0-9]+) s\\)$",
     "节点时钟比上级快 \\1 秒（允许 \\2 秒）"},
    {"^the node's clock is ([0-9]+) s behind its parent's \\(bound ([0-9]+) s\\)$",
     "节点时钟比上级慢 \\1 秒（允许 \\2 秒）"},
    {"^(.+) covers ([0-9]+)-([0-9]+) only and ends on ([0-9]+)-12-31; publish the ([0-9]+) "
     "calendar before then$",
     "工作日历只覆盖 \\2—\\3 年，至 \\4 年 12 月 31 日止；请在此之前发布 \\5 年工作日历"},
    {"^(.+) covers ([0-9]+)-([0-9]+): days since ([0-9]+)-01-01 are guessed Monday to Friday, "
     "deadlines on them provisional; publish the ([0-9]+) calendar$",
     "工作日历只覆盖 \\2—\\3 年：\\4 年 1 月 1 日起按周一至周五推算，相关期限为暂定；请发布 \\5 "
     "年工作日历"},
    {"^the certificate of ([0-9]+) ends on ([0-9-]+): renew it \\(jiancha keys request\\)$",
     "\\1 的证书将于 \\2 到期：请续期（jiancha keys request）"},
    {"^the certificate of ([0-9]+) ended on ([0-9-]+): renew it \\(jiancha keys request\\)$",
     "\\1 的证书已于 \\2 到期：请续期（jiancha keys request）"},
    {"^the certificate of ([0-9]+) ends on ([0-9-]+): its renewal \\(key generation ([0-9]+)\\) "
     "waits for approval at the province \\(jiancha keys approve\\)$",
     "\\1 的证书将于 \\2 到期：已申请续期（第 \\3 代密钥），待省级审批（jiancha keys approve）"},
    {"^the certificate of ([0-9]+) ended on ([0-9-]+): its renewal \\(key generation ([0-9]+)\\) "
     "waits for approval at the province \\(jiancha keys approve\\)$",
     "\\1 的证书已于 \\2 到期：已申请续期（第 \\3 代密钥），待省级审批（jiancha keys approve）"},
    {"^the certificate of ([0-9]+) is in no certificate set held here: its end is unknown "
     "\\(jiancha keys certs publish\\)$",
     "本节点持有的证书集中没有 \\1 的证书，无法得知其到期日（jiancha keys certs publish）"},
    {"^the certificate of the publisher ends on ([0-9-]+): renew it \\(jiancha keys request "
     "--publisher\\)$",
     "发布者的证书将于 \\1 到期：请续期（jiancha keys request --publisher）"},
    {"^the certificate of the publisher ended on ([0-9-]+): renew it \\(jiancha keys request "
     "--publisher\\)$",
     "发布者的证书已于 \\1 到期：请续期（jiancha keys request --publisher）"},
    {"^the store uses ([0-9.]+) MiB of its ([0-9.]+) MiB room \\(budget (set|none), ([0-9.]+) MiB "
     "free on its filesystem\\)$",
     "存储已用 \\1 MiB，可用空间共 \\2 MiB（文件系统剩余 \\4 MiB）"},
};

#define DETAILS (sizeof details / sizeof details[0])

/* The patterns compiled once, for every thread (the screen asks from many). */
static regex_t compiled[DETAILS];
static bool compiled_ok[DETAILS];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void
compile_details(void)
{
    for (size_t i = 0; i < DETAILS; i++)
        compiled_ok[i] = regcomp(&compiled[i], details[i].pattern, REG_EXTENDED) == 0;
}

/* The evidence kinds of evidence.missing, named */
static const char *
group_zh(const char *text, size_t len)
{
    static const struct {
        const char *en, *zh;
    } words[] = {{"video", "视频 "}, {"audio", "音频 "}, {"photo", "照片 "}, {"document", "文书 "}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].en) == len && memcmp(words[i].en, text, len) == 0)
            return words[i].zh;
    return NULL;
}

bool
view_detail_zh(const char *detail, char *out, size_t cap)
{
    pthread_once(&compile_once, compile_details);
    out[0] = '\0';
    for (size_t i = 0; i < DETAILS; i++) {
        regmatch_t m[10];
        if (!compiled_ok[i] || regexec(&compiled[i], detail, 10, m, 0) != 0)
            continue;
        size_t n = 0;
        for (const char *z = details[i].zh; *z && n + 1 < cap; z++) {
            int g = z[0] == '\\' && z[1] >= '1' && z[1] <= '9' ? z[1] - '0' : 0;
            if (!g) {
                out[n++] = *z;
                continue;
            }
            z++;
            if (m[g].rm_so < 0)
                continue;
            const char *text = detail + m[g].rm_so;
            size_t len = (size_t)(m[g].rm_eo - m[g].rm_so);
            const char *word = group_zh(text, len);
            if (word) {
                text = word;
                len = strlen(word);
            }
            if (n + len + 1 > cap)
                len = cap - n - 1;
            memcpy(out + n, text, len);
            n += len;
        }
        /* cut short: never in the middle of a character (JSON wants whole UTF-8) */
        size_t lead = n;
        while (lead && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead && ((unsigned char)out[lead - 1] & 0x80)) {
            unsigned char c = (unsigned char)out[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (n - (lead - 1) < want)
                n = lead - 1;
        }
        while (n && out[n - 1] == ' ')
            n--;
        out[n] = '\0';
        return true;
    }
    return false;
}

static json_t *
name_or_null(const char *name)
{
    return name ? json_string(name) : json_null();
}

static json_t *
node_name(const struct view_names *names, uint32_t node)
{
    return name_or_null(names ? region_name(names->regions, node) : NULL);
}

static json_t *
dept_name(const struct view_names *names, const char *dept)
{
    return name_or_null(names && dept[0] ? catalog_dept_name(names->catalog, dept) : NULL);
}

static json_t *
time_or_null(int64_t ms)
{
    if (!ms)
        return json_null();
    char when[TIMESTAMP_TEXT_MAX];
    timestamp_format(ms, when);
    return json_string(when);
}

/* ---- scope ---- */

static bool
under(uint32_t node, uint32_t root)
{
    for (uint32_t n = node; n; n = node_parent(n))
        if (n == root)
            return true;
    return false;
}

bool
view_node_in_scope(const struct view_scope *s, uint32_t node)
{
    return !s || !s->root || under(node, s->root);
}

bool
view_alert_in_scope(const struct view_scope *s, const struct alert *a)
{
    if (!s)
        return true;
    if (!view_node_in_scope(s,
                            node_valid(a->node, strlen(a->node)) == 0 ? node_number(a->node) : 0))
        return false;
    return !s->dept || strcmp(a->dept, s->dept) == 0;
}

/* ---- nodes ---- */

struct rows {
    struct view_node *v;
    size_t n, cap;
};

static struct view_node *
row_of(struct rows *rs, uint32_t node)
{
    for (size_t i = rs->n; i-- > 0;)
        if (rs->v[i].node == node)
            return &rs->v[i];
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 16;
        rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    struct view_node *r = &rs->v[rs->n++];
    memset(r, 0, sizeof *r);
    r->node = node;
    return r;
}

static int
cmp_row(const void *a, const void *b)
{
    uint32_t x = ((const struct view_node *)a)->node, y = ((const struct view_node *)b)->node;
    return x < y ? -1 : x > y;
}

static void
note_version(void *arg, uint32_t node, const char *kind, uint64_t version)
{
    struct view_node *r = row_of(arg, node);
    if (strcmp(kind, "catalog") == 0)
        r->catalog = version;
    else if (strcmp(kind, "calendar") == 0)
        r->calendar = version;
    else if (strcmp(kind, "crl") == 0)
        r->crl = version;
}

static void
tally_one(void *arg, uint32_t node, uint64_t records)
{
    row_of(arg, node)->records = records;
}

/* The records held per node: the tally (kept.h), or for a store from before it a walk of every
 * key of `events` (keys start with the node's four bytes). */
static int
count_records(store_txn_t *t, struct rows *rs)
{
    if (kept_tallied(t))
        return kept_each_tally(t, tally_one, rs);
    store_cursor_t *c = NULL;
    int rc = store_cursor_open(t, STORE_EVENTS, &c);
    if (rc != 0)
        return rc;
    struct wire_buf k;
    wire_buf_init(&k);
    struct view_node *r = NULL;
    int crc = store_cursor_seek(c, NULL, 0, &k, NULL);
    while (crc == 0) {
        if (k.len == 12) {
            uint32_t node = store_from_be32(k.data);
            if (!r || r->node != node)
                r = row_of(rs, node);
            r->records++;
        }
        wire_buf_reset(&k);
        crc = store_cursor_next(c, &k, NULL);
    }
    wire_buf_fini(&k);
    store_cursor_close(&c);
    return crc == ERR_NOT_FOUND ? 0 : crc;
}

int
view_nodes(store_txn_t *t, const struct board *board, const struct view_scope *scope,
           struct view_node **rows, size_t *n)
{
    struct rows rs = {0};
    *rows = NULL;
    *n = 0;
    store_cursor_t *c = NULL;
    struct wire_buf k;
    wire_buf_init(&k);
    int rc = store_cursor_open(t, STORE_NODES, &c);
    int crc = rc == 0 ? store_cursor_seek(c, NULL, 0, &k, NULL) : rc;
    while (crc == 0) {
        struct ingest_node st;
        if (k.len == 4 && ingest_node_load(t, store_from_be32(k.data), &st) == 0) {
            struct view_node *r = row_of(&rs, store_from_be32(k.data));
            r->has_state = true;
            r->last_seq = st.last_seq;
            r->sealed_seq = st.sealed_seq;
            r->sealed_known = st.sealed_known;
            r->last_contact_ms = st.last_contact_ms;
            r->skew_ms = st.skew_ms;
        }
        wire_buf_reset(&k);
        crc = store_cursor_next(c, &k, NULL);
    }
    wire_buf_fini(&k);
    store_cursor_close(&c);
    if (rc == 0 && crc != ERR_NOT_FOUND)
        rc = crc;
    if (rc == 0)
        rc = count_records(t, &rs);
    struct board own = {0};
    const struct board *b = board ? board : &own;
    if (rc == 0 && !board)
        rc = board_load(t, NULL, &own);
    for (size_t i = 0; rc == 0 && i < b->n_alerts; i++) {
        const struct alert *a = &b->alerts[i];
        if (node_valid(a->node, strlen(a->node)) != 0)
            continue;
        /* a department's operator sees the node alarms, and their department's lights only */
        if (alert_is_department(a->rule) ? !view_alert_in_scope(scope, a)
                                         : !view_node_in_scope(scope, node_number(a->node)))
            continue;
        struct view_node *r = row_of(&rs, node_number(a->node));
        bool stands = a->state == ALERT_OPEN || a->state == ALERT_RESPONDED;
        if (!stands)
            continue;
        if (strcmp(a->rule, COVERAGE_RULE) == 0)
            r->coverage = a->light == ALERT_RED ? 2 : 1;
        else if (strcmp(a->rule, DISK_RULE) == 0)
            r->disk = a->light == ALERT_RED ? 2 : 1;
        else if (strcmp(a->rule, EXPIRY_RULE) == 0 && r->cert < (a->light == ALERT_RED ? 2 : 1))
            r->cert = a->light == ALERT_RED ? 2 : 1;
        if (alert_is_department(a->rule)) {
            /* departments' lights only: platform and office alarms are not findings of power */
            if (a->light == ALERT_RED)
                r->red_open++;
            else
                r->yellow_open++;
        } else if (r->n_alarms < VIEW_NODE_ALARMS_MAX) {
            snprintf(r->alarms[r->n_alarms].rule, sizeof r->alarms[0].rule, "%s", a->rule);
            r->alarms[r->n_alarms++].light = a->light;
        }
    }
    board_fini(&own);
    if (rc == 0)
        rc = bundle_each_version(t, note_version, &rs);
    if (rc != 0) {
        free(rs.v);
        return rc;
    }
    size_t kept = 0;
    for (size_t i = 0; i < rs.n; i++)
        if (view_node_in_scope(scope, rs.v[i].node))
            rs.v[kept++] = rs.v[i];
    rs.n = kept;
    if (rs.n > 1)
        qsort(rs.v, rs.n, sizeof *rs.v, cmp_row);
    *rows = rs.v;
    *n = rs.n;
    return 0;
}

json_t *
view_node_json(const struct view_node *r, const struct view_names *names, int64_t now_ms)
{
    static const char *const level[] = {"ok", "yellow", "red"};
    char nt[NODE_LEN + 1], pt[NODE_LEN + 1];
    node_format(r->node, nt);
    uint32_t parent = node_parent(r->node);
    if (parent)
        node_format(parent, pt);
    bool contact = r->has_state && r->last_contact_ms;
    bool heard = r->has_state && r->sealed_known; /* a direct child's heartbeats */
    json_t *alarms = json_array();
    for (size_t i = 0; i < r->n_alarms; i++)
        json_array_append_new(alarms, json_pack("{s:s,s:s,s:s}", "rule", r->alarms[i].rule,
                                                "rule_name", view_rule_name(r->alarms[i].rule),
                                                "light", alert_light_name(r->alarms[i].light)));
    json_t *o = json_object();
    json_object_set_new(o, "node", json_string(nt));
    json_object_set_new(o, "name", node_name(names, r->node));
    json_object_set_new(o, "parent", parent ? json_string(pt) : json_null());
    json_object_set_new(o, "depth", json_integer(node_depth(r->node)));
    json_object_set_new(o, "records", json_integer((json_int_t)r->records));
    json_object_set_new(o, "batch", json_integer((json_int_t)(r->has_state ? r->last_seq : 0)));
    json_object_set_new(
        o, "backlog",
        heard ? json_integer(
                    (json_int_t)(r->sealed_seq > r->last_seq ? r->sealed_seq - r->last_seq : 0))
              : json_null());
    json_object_set_new(o, "lag_s",
                        contact ? json_integer((now_ms - r->last_contact_ms) / 1000) : json_null());
    json_object_set_new(o, "skew_ms", heard ? json_integer(r->skew_ms) : json_null());
    json_object_set_new(o, "red", json_integer((json_int_t)r->red_open));
    json_object_set_new(o, "yellow", json_integer((json_int_t)r->yellow_open));
    json_object_set_new(o, "catalog",
                        r->catalog ? json_integer((json_int_t)r->catalog) : json_null());
    json_object_set_new(o, "calendar",
                        r->calendar ? json_integer((json_int_t)r->calendar) : json_null());
    json_object_set_new(o, "coverage", json_string(level[r->coverage]));
    json_object_set_new(o, "disk", json_string(level[r->disk]));
    json_object_set_new(o, "cert", json_string(level[r->cert]));
    json_object_set_new(o, "crl", r->crl ? json_integer((json_int_t)r->crl) : json_null());
    json_object_set_new(o, "last_contact",
                        contact ? time_or_null(r->last_contact_ms) : json_null());
    json_object_set_new(o, "alarms", alarms);
    return o;
}

/* ---- alerts ---- */

static bool
one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(v, *allowed) == 0)
            return true;
    return false;
}

int
view_alert_filter_check(const struct view_alert_filter *f, char field[64], char reason[192])
{
    static const char *const lights[] = {"red", "yellow", NULL};
    static const char *const states[] = {"open",    "responded", "closed",
                                         "cleared", "standing",  NULL};
    if (f->light && !one_of(f->light, lights))
        return event_refuse(field, reason, "light", "red or yellow");
    if (f->state && !one_of(f->state, states))
        return event_refuse(field, reason, "state", "open, responded, closed, cleared or standing");
    if (f->node && node_valid(f->node, strlen(f->node)) != 0)
        return event_refuse(field, reason, "node", "a six-digit division code");
    if (f->queue && node_valid(f->queue, strlen(f->queue)) != 0)
        return event_refuse(field, reason, "queue", "a six-digit division code");
    if (f->has_from && f->has_to && f->from_day > f->to_day)
        return event_refuse(field, reason, "from", "after `to`");
    return 0;
}

bool
view_alert_matches(const struct alert *a, const struct view_alert_filter *f)
{
    if ((f->light && strcmp(alert_light_name(a->light), f->light) != 0) ||
        (f->rule && strcmp(a->rule, f->rule) != 0) ||
        (f->article && strcmp(a->article, f->article) != 0) ||
        (f->node && strcmp(a->node, f->node) != 0) || (f->dept && strcmp(a->dept, f->dept) != 0) ||
        (f->queue && strcmp(board_queue_of(a), f->queue) != 0))
        return false;
    if (f->state) {
        bool standing = a->state == ALERT_OPEN || a->state == ALERT_RESPONDED;
        if (strcmp(f->state, "standing") == 0 ? !standing
                                              : strcmp(alert_state_name(a->state), f->state) != 0)
            return false;
    }
    int64_t day = calendar_day_of(a->raised_ms);
    return (!f->has_from || day >= f->from_day) && (!f->has_to || day <= f->to_day);
}

/* Working days from today to the last day before `due_ms` (0 on it, negative once past). */
static json_t *
workdays_left(calendar_t *cal, int64_t due_ms, int64_t now_ms)
{
    if (!cal || !due_ms)
        return NULL;
    int64_t today = calendar_day_of(now_ms), last = calendar_day_of(due_ms - 1);
    if (now_ms < due_ms)
        return json_integer(today >= last ? 0
                                          : (json_int_t)calendar_count(
                                                cal, today, last, CALENDAR_WORKDAYS, NULL, NULL));
    json_int_t past = (json_int_t)calendar_count(cal, last, today, CALENDAR_WORKDAYS, NULL, NULL);
    return json_integer(past > 0 ? -past : -1);
}

json_t *
view_alert_json(const struct alert *a, const struct view_names *names, int64_t now_ms)
{
    char *text = alert_to_json(a);
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    if (!o)
        o = json_object(); /* alert_to_json always prints an object */
    json_object_set_new(o, "rule_name", json_string(view_rule_name(a->rule)));
    json_object_set_new(o, "node_name",
                        node_valid(a->node, strlen(a->node)) == 0
                            ? node_name(names, node_number(a->node))
                            : json_null());
    json_object_set_new(o, "dept_name", dept_name(names, a->dept));
    const struct catalog_item *it =
        names && names->catalog && a->item[0] ? catalog_find(names->catalog, a->item) : NULL;
    json_object_set_new(o, "item_name", it ? json_string(it->name) : json_null());
    /* the subject under one name too, whatever its kind ("case", "item", "complaint" ...) */
    json_object_set_new(o, "subject_kind", json_string(a->subject_kind));
    json_object_set_new(o, "subject", json_string(a->subject));
    json_object_set_new(o, "handling", json_string(view_handling_name(a)));
    char zh[2 * sizeof a->detail + 64];
    json_object_set_new(o, "detail_zh",
                        json_string(view_detail_zh(a->detail, zh, sizeof zh) ? zh : a->detail));
    json_t *left = workdays_left(names ? names->calendar : NULL, a->answer_due_ms, now_ms);
    if (left)
        json_object_set_new(o, "answer_wd_left", left);
    return o;
}

json_t *
view_supervision_json(const struct supervision *s, const struct view_names *names, int64_t now_ms)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:o,s:i,s:o,s:o,s:s}", "supervision",
                          s->id, "office", s->node, "target_node", s->target_node, "target_dept",
                          s->target_dept, "dept_name", dept_name(names, s->target_dept), "subject",
                          s->subject, "state", supervision_state(s, now_ms), "opened_at",
                          time_or_null(s->opened_ms), "due", time_or_null(s->due_ms), "extended_wd",
                          (json_int_t)s->extended_wd, "reported_at", time_or_null(s->reported_ms),
                          "closed_at", time_or_null(s->closed_ms), "alert", s->alert);
    json_object_set_new(o, "office_name",
                        node_valid(s->node, strlen(s->node)) == 0
                            ? node_name(names, node_number(s->node))
                            : json_null());
    json_object_set_new(o, "target_node_name",
                        node_valid(s->target_node, strlen(s->target_node)) == 0
                            ? node_name(names, node_number(s->target_node))
                            : json_null());
    json_t *left = s->reported_ms || s->closed_ms
                       ? NULL
                       : workdays_left(names ? names->calendar : NULL, s->due_ms, now_ms);
    if (left)
        json_object_set_new(o, "wd_left", left);
    return o;
}

/* Is the record one of case `case_id`? */
static bool
of_case(const void *rec, size_t len, const char *case_id)
{
    wire_reader_t *r = NULL;
    const wire_obj_t *m;
    const char *cs;
    size_t cl;
    bool ours = wire_decode_one(rec, len, &r, &m) == 0 &&
                wire_obj_get_bytes(m, "case", WIRE_STR, &cs, &cl) == 0 &&
                cl == strlen(case_id) && memcmp(cs, case_id, cl) == 0;
    wire_reader_destroy(&r);
    return ours;
}

/* Appends {"seq", "record"} for a stored record, shown deleted or corrected as the province
 * approved. */
static void
append_record(store_txn_t *t, uint32_t node, uint64_t seq, const void *rec, size_t len,
              json_t *out)
{
    struct wire_buf change;
    wire_buf_init(&change);
    char ctype[32] = "", cid[EVENT_ID_MAX + 1];
    bool changed = desk_change_of(t, node, seq, &change) == 0 &&
                   event_record_peek(change.data, change.len, ctype, cid) == 0;
    bool deleted = changed && strcmp(ctype, "record.delete") == 0;
    char *text = deleted ? NULL : event_record_to_json(rec, len);
    json_t *e = json_pack("{s:I,s:o}", "seq", (json_int_t)seq, "record",
                          text ? json_loads(text, 0, NULL) : json_null());
    free(text);
    if (deleted) {
        json_object_set_new(e, "deleted", json_true());
    } else if (changed) {
        char *ctext = event_record_to_json(change.data, change.len);
        json_object_set_new(e, "corrected", ctext ? json_loads(ctext, 0, NULL) : json_null());
        free(ctext);
    }
    wire_buf_fini(&change);
    json_array_append_new(out, e);
}

struct indexed {
    store_txn_t *t;
    uint32_t node;
    const char *case_id;
    json_t *out;
};

static int
take_indexed(void *arg, uint64_t seq)
{
    struct indexed *x = arg;
    uint8_t k[12];
    store_be32(k, x->node);
    store_be64(k + 4, seq);
    struct wire_buf v;
    wire_buf_init(&v);
    int rc = store_get(x->t, STORE_EVENTS, k, 12, &v);
    /* the index holds the collector's own records: another node's key is another record */
    if (rc == 0 && of_case(v.data, v.len, x->case_id))
        append_record(x->t, x->node, seq, v.data, v.len, x->out);
    wire_buf_fini(&v);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int
view_case_events(store_txn_t *t, uint32_t node, const char *case_id, json_t *out)
{
    /* a collector's own case: its rules pass indexed it */
    struct indexed x = {t, node, case_id, out};
    int rc = watch_case_records(t, case_id, take_indexed, &x);
    if (rc != 0 || json_array_size(out) > 0)
        return rc;
    /* a tier above: the origin's records are read in order */
    uint8_t prefix[4];
    store_be32(prefix, node);
    store_cursor_t *c = NULL;
    if ((rc = store_cursor_open(t, STORE_EVENTS, &c)) != 0)
        return rc;
    struct wire_buf k, v;
    wire_buf_init(&k);
    wire_buf_init(&v);
    int crc = store_cursor_seek(c, prefix, sizeof prefix, &k, &v);
    while (crc == 0 && k.len == 12 && memcmp(k.data, prefix, 4) == 0) {
        if (of_case(v.data, v.len, case_id))
            append_record(t, node, store_from_be64(k.data + 4), v.data, v.len, out);
        wire_buf_reset(&k);
        wire_buf_reset(&v);
        crc = store_cursor_next(c, &k, &v);
    }
    wire_buf_fini(&k);
    wire_buf_fini(&v);
    store_cursor_close(&c);
    return crc == 0 || crc == ERR_NOT_FOUND ? 0 : crc;
}

/* ---- scores ---- */

struct score_rows {
    struct view_score_row *v;
    size_t n, cap;
    const struct view_scope *scope;
};

static void
collect_score(void *arg, const char *key, const struct score_counters *c)
{
    struct score_rows *rs = arg;
    /* every key starts with the node (or the region) it sums */
    if (node_valid(key, 6) != 0 || !view_node_in_scope(rs->scope, node_number(key)))
        return;
    if (rs->scope && rs->scope->dept && (key[6] != '/' || strcmp(key + 7, rs->scope->dept) != 0))
        return;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 32;
        rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    struct view_score_row *r = &rs->v[rs->n++];
    snprintf(r->key, sizeof r->key, "%s", key);
    r->c = *c;
    score_compute(c, &score_default_weights, &r->r);
}

static int
by_score(const void *a, const void *b)
{
    const struct view_score_row *x = a, *y = b;
    if (x->r.score != y->r.score)
        return x->r.score > y->r.score ? -1 : 1;
    return strcmp(x->key, y->key);
}

int
view_scores(store_t *s, int64_t first_day, int64_t after_day, enum score_by by,
            const struct view_scope *scope, struct view_score_row **rows, size_t *n)
{
    struct score_rows rs = {.scope = scope};
    int rc = counter_sum(s, first_day, after_day, by, NULL, collect_score, &rs);
    if (rc != 0) {
        free(rs.v);
        *rows = NULL;
        *n = 0;
        return rc;
    }
    if (rs.n > 1)
        qsort(rs.v, rs.n, sizeof *rs.v, by_score);
    *rows = rs.v;
    *n = rs.n;
    return 0;
}

json_t *
view_score_json(const struct view_score_row *r, size_t rank, const char *period, enum score_by by,
                const struct view_names *names)
{
    json_t *name = json_null();
    const char *slash = strchr(r->key, '/');
    if (node_valid(r->key, 6) == 0 && !slash)
        name = node_name(names, node_number(r->key));
    else if (slash && by == SCORE_BY_CATEGORY)
        name = json_string(view_category_name(slash + 1));
    else if (slash && by == SCORE_BY_DEPT)
        name = dept_name(names, slash + 1);
    const struct score_counters *c = &r->c;
    return json_pack("{s:I,s:s,s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,"
                     "s:f,s:s}",
                     "rank", (json_int_t)rank, "key", r->key, "name", name, "period", period,
                     "cases", (json_int_t)c->cases, "concluded", (json_int_t)c->concluded,
                     "on_time", (json_int_t)c->on_time, "red", (json_int_t)c->red, "yellow",
                     (json_int_t)c->yellow, "ratings", (json_int_t)c->ratings, "ratings_good",
                     (json_int_t)c->ratings_good, "response_due", (json_int_t)c->response_due,
                     "responded_in_time", (json_int_t)c->responded_in_time, "escalated",
                     (json_int_t)c->escalated, "complaints", (json_int_t)c->complaints,
                     "on_time_rate", r->r.on_time_rate, "satisfaction_rate", r->r.satisfaction_rate,
                     "response_rate", r->r.response_rate, "score", r->r.score, "grade", r->r.grade);
}

/* ---- trends ---- */

struct category_sums {
    json_t *volumes; /* category → array of months */
    int month, months;
    const struct view_scope *scope;
};

static void
add_category(void *arg, const char *key, const struct score_counters *c)
{
    struct category_sums *cs = arg;
    const char *slash = strchr(key, '/');
    if (!slash || node_valid(key, 6) != 0 || !view_node_in_scope(cs->scope, node_number(key)))
        return;
    json_t *arr = json_object_get(cs->volumes, slash + 1);
    if (!arr) {
        arr = json_array();
        for (int i = 0; i < cs->months; i++)
            json_array_append_new(arr, json_integer(0));
        json_object_set_new(cs->volumes, slash + 1, arr);
    }
    json_int_t was = json_integer_value(json_array_get(arr, (size_t)cs->month));
    json_array_set_new(arr, (size_t)cs->month, json_integer(was + (json_int_t)c->cases));
}

int
view_trends(store_t *s, const char *to, int months, const struct view_scope *scope, json_t **out)
{
    *out = NULL;
    int64_t first, after;
    if (months < 1 || months > VIEW_TREND_MONTHS_MAX ||
        calendar_parse_month(to, &first, &after) != 0)
        return ERR_INVALID;
    int y = atoi(to), m = atoi(to + 5);
    int64_t from_day[VIEW_TREND_MONTHS_MAX], to_day[VIEW_TREND_MONTHS_MAX];
    json_t *labels = json_array();
    struct category_sums cs = {json_object(), 0, months, scope};
    int rc = 0;
    for (int i = 0; rc == 0 && i < months; i++) {
        int k = months - 1 - i, mm = m - k, yy = y;
        while (mm < 1) {
            mm += 12;
            yy--;
        }
        char label[16];
        snprintf(label, sizeof label, "%04d-%02d", yy, mm);
        json_array_append_new(labels, json_string(label));
        rc = calendar_parse_month(label, &from_day[i], &to_day[i]);
        cs.month = i;
        if (rc == 0)
            rc = counter_sum(s, from_day[i], to_day[i], SCORE_BY_CATEGORY, NULL, add_category, &cs);
    }
    /* lights raised per month by rule, from the board (the report's trend counts the same) */
    json_t *lights = json_object();
    store_txn_t *t = NULL;
    struct board b = {0};
    if (rc == 0)
        rc = store_read(s, &t);
    if (rc == 0)
        rc = board_load(t, NULL, &b);
    store_abort(&t);
    for (size_t i = 0; rc == 0 && i < b.n_alerts; i++) {
        const struct alert *a = &b.alerts[i];
        if (a->state == ALERT_CLEARED || !alert_is_department(a->rule) ||
            !view_alert_in_scope(scope, a))
            continue;
        int64_t day = calendar_day_of(a->raised_ms);
        for (int k = 0; k < months; k++) {
            if (day < from_day[k] || day >= to_day[k])
                continue;
            json_t *rule = json_object_get(lights, a->rule);
            if (!rule) {
                rule = json_pack("{s:s,s:s,s:[],s:[]}", "rule", a->rule, "rule_name",
                                 view_rule_name(a->rule), "yellow", "red");
                for (int j = 0; j < months; j++) {
                    json_array_append_new(json_object_get(rule, "yellow"), json_integer(0));
                    json_array_append_new(json_object_get(rule, "red"), json_integer(0));
                }
                json_object_set_new(lights, a->rule, rule);
            }
            json_t *arr = json_object_get(rule, a->light == ALERT_RED ? "red" : "yellow");
            json_array_set_new(
                arr, (size_t)k,
                json_integer(json_integer_value(json_array_get(arr, (size_t)k)) + 1));
            break;
        }
    }
    board_fini(&b);
    if (rc != 0) {
        json_decref(labels);
        json_decref(cs.volumes);
        json_decref(lights);
        return rc;
    }
    /* objects keyed by rule and category become arrays, in the order each was first seen */
    json_t *light_list = json_array(), *volume_list = json_array();
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(lights, tmp, key, val) json_array_append(light_list, val);
    json_object_foreach_safe(cs.volumes, tmp, key, val) json_array_append_new(
        volume_list, json_pack("{s:s,s:s,s:O}", "category", key, "category_name",
                               view_category_name(key), "cases", val));
    json_decref(lights);
    json_decref(cs.volumes);
    *out =
        json_pack("{s:o,s:o,s:o}", "months", labels, "lights", light_list, "volumes", volume_list);
    return 0;
}
