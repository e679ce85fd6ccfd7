/* cli report: `jiancha report monthly`, the monthly report a supervision office sends to the party
 * committee, the people's congress, the government and the CPPCC (art. 12, 13), in Chinese.
 *
 * The figures are report.h's; this file only lays them out: Markdown and HTML as the same
 * sections of tables (HTML with inline SVG charts that need no network), CSV as one long table
 * (section, key, name, metric, value) for spreadsheets and for checking against the counters.
 */
#include "calendar.h"
#include "catalog.h"
#include "cli.h"
#include "err.h"
#include "node.h"
#include "region.h"
#include "report.h"
#include "store.h"
#include "timestamp.h"
#include "view.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum format { F_MD, F_HTML, F_CSV };

struct out {
    FILE *f;
    enum format fmt;
    const region_t *names;
    const catalog_t *catalog; /* department and item names (NULL: codes shown) */
};

/* A department as leaders read it: its name from the catalogue, else its code. */
static const char *
dept_zh(const struct out *o, const char *dept)
{
    const char *name = catalog_dept_name(o->catalog, dept);
    return name ? name : dept;
}

/* An item as leaders read it: its name from the catalogue, else its code. */
static const char *
item_zh(const struct out *o, const char *item)
{
    const struct catalog_item *it = o->catalog ? catalog_find(o->catalog, item) : NULL;
    return it ? it->name : item;
}

static const char *
node_zh(const struct out *o, const char *code)
{
    const char *n = node_valid(code, strlen(code)) == 0
                        ? region_name(o->names, node_number(code))
                        : NULL;
    return n ? n : code;
}

static double
pct(double rate)
{
    return 100.0 * rate;
}

/* ---- Markdown and HTML: headings, paragraphs and tables ---- */

static void
html_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

static void
heading(const struct out *o, int level, const char *text)
{
    if (o->fmt == F_MD) {
        fprintf(o->f, "\n%.*s %s\n\n", level, "###", text);
    } else {
        fprintf(o->f, "<h%d>", level);
        html_escaped(o->f, text);
        fprintf(o->f, "</h%d>\n", level);
    }
}

static void
paragraph(const struct out *o, const char *text)
{
    if (o->fmt == F_MD) {
        fprintf(o->f, "%s\n\n", text);
    } else {
        fputs("<p>", o->f);
        html_escaped(o->f, text);
        fputs("</p>\n", o->f);
    }
}

/* A table: columns separated by '|' in header and in each row. */
static void
table_start(const struct out *o, const char *header)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", header);
    if (o->fmt == F_MD) {
        fprintf(o->f, "| %s |\n|", header);
        for (const char *p = header; *p; p++)
            if (*p == '|')
                fputs("---|", o->f);
        fputs("---|\n", o->f);
        return;
    }
    fputs("<table><tr>", o->f);
    for (char *save = NULL, *c = strtok_r(buf, "|", &save); c; c = strtok_r(NULL, "|", &save)) {
        fputs("<th>", o->f);
        html_escaped(o->f, c);
        fputs("</th>", o->f);
    }
    fputs("</tr>\n", o->f);
}

static void
table_row(const struct out *o, const char *row)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", row);
    if (o->fmt == F_MD) {
        fprintf(o->f, "| %s |\n", row);
        return;
    }
    fputs("<tr>", o->f);
    for (char *save = NULL, *c = strtok_r(buf, "|", &save); c; c = strtok_r(NULL, "|", &save)) {
        fputs("<td>", o->f);
        html_escaped(o->f, c);
        fputs("</td>", o->f);
    }
    fputs("</tr>\n", o->f);
}

static void
table_end(const struct out *o)
{
    fputs(o->fmt == F_MD ? "\n" : "</table>\n", o->f);
}

/* ---- HTML charts: inline SVG ---- */

static void
chart_lights_by_node(const struct out *o, const struct report *r)
{
    uint64_t max = 1;
    for (size_t i = 0; i < r->n_nodes; i++)
        if (r->nodes[i].yellow + r->nodes[i].red > max)
            max = r->nodes[i].yellow + r->nodes[i].red;
    int bar = 28, gap = 10, left = 120, width = 520;
    int height = (int)r->n_nodes * (bar + gap) + 40;
    fprintf(o->f,
            "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "role=\"img\" aria-label=\"各单位预警报警数\">\n",
            left + width + 80, height);
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct report_row *n = &r->nodes[i];
        int y = 20 + (int)i * (bar + gap);
        int wy = (int)(width * n->yellow / max), wr = (int)(width * n->red / max);
        fprintf(o->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\">", left - 8,
                y + bar / 2 + 5);
        html_escaped(o->f, node_zh(o, n->key));
        fprintf(o->f,
                "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#d93025\"/>"
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f2b400\"/>"
                "<text x=\"%d\" y=\"%d\" font-size=\"12\">红 %llu · 黄 %llu</text>\n",
                left, y, wr, bar, left + wr, y, wy, bar, left + wr + wy + 6, y + bar / 2 + 5,
                (unsigned long long)n->red, (unsigned long long)n->yellow);
    }
    fputs("</svg><figcaption>图1 本月各单位预警（黄）与报警（红）数</figcaption></figure>\n", o->f);
}

static void
chart_trend(const struct out *o, const struct report *r)
{
    uint64_t max = 1;
    for (int k = 0; k < REPORT_TREND_MONTHS; k++) {
        if (r->trend[k].yellow > max)
            max = r->trend[k].yellow;
        if (r->trend[k].red > max)
            max = r->trend[k].red;
    }
    int left = 50, top = 20, w = 540, h = 220, step = w / (REPORT_TREND_MONTHS - 1);
    fprintf(o->f,
            "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "role=\"img\" aria-label=\"近六个月趋势\">\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
            left + w + 40, top + h + 50, left, top + h, left + w, top + h);
    const char *colors[2] = {"#f2b400", "#d93025"};
    for (int series = 0; series < 2; series++) {
        fprintf(o->f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\" points=\"",
                colors[series]);
        for (int k = 0; k < REPORT_TREND_MONTHS; k++) {
            uint64_t v = series ? r->trend[k].red : r->trend[k].yellow;
            fprintf(o->f, "%d,%d ", left + k * step, top + h - (int)(h * v / max));
        }
        fputs("\"/>\n", o->f);
        for (int k = 0; k < REPORT_TREND_MONTHS; k++) {
            uint64_t v = series ? r->trend[k].red : r->trend[k].yellow;
            fprintf(o->f,
                    "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
                    "font-size=\"11\">%llu</text>\n",
                    left + k * step, top + h - (int)(h * v / max), colors[series],
                    left + k * step + 6, top + h - (int)(h * v / max) - 6, (unsigned long long)v);
        }
    }
    for (int k = 0; k < REPORT_TREND_MONTHS; k++)
        fprintf(o->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">%s</text>\n",
                left + k * step, top + h + 20, r->trend[k].month);
    fputs("</svg><figcaption>图2 近六个月预警（黄）与报警（红）趋势</figcaption></figure>\n", o->f);
}

/* ---- the report as sections ---- */

static void
write_sections(const struct out *o, const struct report *r)
{
    char line[1024], title[256];
    char root[7];
    node_format(r->root, root);
    int y = atoi(r->period), m = atoi(r->period + 5);
    snprintf(title, sizeof title, "%s行政权力运行电子监察月报（%d年%d月）", node_zh(o, root), y, m);
    const struct score_counters *c = &r->total;
    const struct score_result *s = &r->total_score;
    if (o->fmt == F_HTML) {
        fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>", o->f);
        html_escaped(o->f, title);
        fputs(
            "</title><style>body{font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",sans-serif;"
            "margin:32px;color:#222;max-width:960px}table{border-collapse:collapse;margin:8px 0 "
            "16px}td,th{border:1px solid #bbb;padding:4px 10px;font-size:14px}th{background:"
            "#eef2f7}h1{font-size:24px;text-align:center}h2{font-size:19px;border-bottom:2px solid "
            "#c00;padding-bottom:4px}figure{margin:12px 0}figcaption{font-size:13px;color:#555}"
            "</style></head><body>\n",
            o->f);
        fputs("<h1>", o->f);
        html_escaped(o->f, title);
        fputs("</h1>\n", o->f);
    } else {
        fprintf(o->f, "# %s\n", title);
    }
    paragraph(o, "报送：党委、人大、政府、政协主要领导");

    heading(o, 2, "一、总体情况");
    snprintf(
        line, sizeof line,
        "本月全辖受理行政权力事项 %llu 件，办结 %llu 件，按承诺时限办结 %llu 件，按时办结率 "
        "%.1f%%；产生预警（黄灯）%llu 次、报警（红灯）%llu 次；应答复预警 %llu 条，按时答复 "
        "%llu 条，答复及时率 %.1f%%；群众评价 %llu 次，满意率 %.1f%%；投诉信访 %llu 件。综合绩效 "
        "%.1f 分，等次「%s」。",
        (unsigned long long)c->cases, (unsigned long long)c->concluded,
        (unsigned long long)c->on_time, pct(s->on_time_rate), (unsigned long long)c->yellow,
        (unsigned long long)c->red, (unsigned long long)c->response_due,
        (unsigned long long)c->responded_in_time, pct(s->response_rate),
        (unsigned long long)c->ratings, pct(s->satisfaction_rate),
        (unsigned long long)c->complaints, s->score, s->grade);
    paragraph(o, line);
    /* the two figures count different cases: read side by side they must not seem to clash */
    paragraph(o, "口径说明：按时办结率只计本月已办结的案件（办结时是否在承诺时限内）；时限类报警"
                 "（承诺时限、法定时限、环节时限）计的是超过时限仍未办结或未完成环节的案件，"
                 "因此按时办结率为 100% 时仍可能有时限报警。");

    heading(o, 2, "二、办件情况");
    heading(o, 3, "（一）按事项类别");
    table_start(o, "类别|受理|办结|按时办结|按时办结率");
    for (size_t i = 0; i < r->n_categories; i++) {
        const struct report_row *x = &r->categories[i];
        snprintf(line, sizeof line, "%s|%llu|%llu|%llu|%.1f%%", view_category_name(x->key),
                 (unsigned long long)x->c.cases, (unsigned long long)x->c.concluded,
                 (unsigned long long)x->c.on_time, pct(x->r.on_time_rate));
        table_row(o, line);
    }
    table_end(o);
    heading(o, 3, "（二）按单位");
    table_start(o, "单位|代码|受理|办结|按时办结率|投诉信访");
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct report_row *x = &r->nodes[i];
        snprintf(line, sizeof line, "%s|%s|%llu|%llu|%.1f%%|%llu", node_zh(o, x->key), x->key,
                 (unsigned long long)x->c.cases, (unsigned long long)x->c.concluded,
                 pct(x->r.on_time_rate), (unsigned long long)x->c.complaints);
        table_row(o, line);
    }
    table_end(o);

    heading(o, 2, "三、预警报警情况");
    if (o->fmt == F_HTML) {
        chart_lights_by_node(o, r);
        chart_trend(o, r);
    }
    heading(o, 3, "（一）按监察规则");
    table_start(o, "监察规则|预警（黄）|报警（红）");
    for (size_t i = 0; i < r->n_rules; i++) {
        const struct report_row *x = &r->rules[i];
        snprintf(line, sizeof line, "%s|%llu|%llu", view_rule_name(x->key),
                 (unsigned long long)x->yellow, (unsigned long long)x->red);
        table_row(o, line);
    }
    table_end(o);
    heading(o, 3, "（二）按单位");
    table_start(o, "单位|预警（黄）|报警（红）");
    for (size_t i = 0; i < r->n_nodes; i++) {
        snprintf(line, sizeof line, "%s|%llu|%llu", node_zh(o, r->nodes[i].key),
                 (unsigned long long)r->nodes[i].yellow, (unsigned long long)r->nodes[i].red);
        table_row(o, line);
    }
    table_end(o);
    heading(o, 3, "（三）近六个月趋势");
    table_start(o, "月份|受理|预警（黄）|报警（红）");
    for (int k = 0; k < REPORT_TREND_MONTHS; k++) {
        snprintf(line, sizeof line, "%s|%llu|%llu|%llu", r->trend[k].month,
                 (unsigned long long)r->trend[k].cases, (unsigned long long)r->trend[k].yellow,
                 (unsigned long long)r->trend[k].red);
        table_row(o, line);
    }
    table_end(o);

    heading(o, 2, "四、预警处理与督查督办");
    snprintf(
        line, sizeof line,
        "本月预警报警 %llu 条：待答复 %llu 条，已答复 %llu 条，已摘牌 %llu 条；逾期未答复移交上级 "
        "%llu 条；列入督办 %llu 条。本月立案督办 %llu 件，按时报告 %llu 件，超期 %llu "
        "件，经批准延期 "
        "%llu 件，已结案 %llu 件。",
        (unsigned long long)r->alerts, (unsigned long long)r->open,
        (unsigned long long)r->responded, (unsigned long long)r->closed,
        (unsigned long long)r->referred, (unsigned long long)r->supervised,
        (unsigned long long)r->cases_opened, (unsigned long long)r->cases_reported_in_time,
        (unsigned long long)r->cases_overdue, (unsigned long long)r->cases_extended,
        (unsigned long long)r->cases_closed);
    paragraph(o, line);

    heading(o, 2, "五、典型问题");
    if (!r->n_notable)
        paragraph(o, "本月无报警。");
    else
        table_start(o, "单位|部门|事项|问题|发生时间|处理情况");
    for (size_t i = 0; i < r->n_notable; i++) {
        const struct alert *a = &r->notable[i];
        char when[TIMESTAMP_TEXT_MAX];
        timestamp_format(a->raised_ms, when);
        snprintf(line, sizeof line, "%s|%s|%s|%s|%.10s|%s%s%s", node_zh(o, a->node),
                 dept_zh(o, a->dept), item_zh(o, a->item), view_rule_name(a->rule), when, view_handling_name(a),
                 a->queue[0] ? "，已移交上级" : "", a->supervision[0] ? "，督办中" : "");
        table_row(o, line);
    }
    if (r->n_notable)
        table_end(o);

    heading(o, 2, "六、巡查情况");
    table_start(o, "监察机构|工作日|巡查记录|巡查不足天数|达标率");
    for (size_t i = 0; i < r->n_offices; i++) {
        const struct report_office *x = &r->offices[i];
        char code[7];
        node_format(x->node, code);
        double rate = x->workdays ? 1.0 - (double)x->short_days / x->workdays : 1.0;
        snprintf(line, sizeof line, "%s|%u|%llu|%u|%.1f%%", node_zh(o, code), x->workdays,
                 (unsigned long long)x->patrols, x->short_days, pct(rate < 0 ? 0 : rate));
        table_row(o, line);
    }
    table_end(o);

    heading(o, 2, "七、群众满意度");
    table_start(o, "单位|评价次数|满意（4、5分）|满意率|投诉信访");
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct report_row *x = &r->nodes[i];
        snprintf(line, sizeof line, "%s|%llu|%llu|%.1f%%|%llu", node_zh(o, x->key),
                 (unsigned long long)x->c.ratings, (unsigned long long)x->c.ratings_good,
                 pct(x->r.satisfaction_rate), (unsigned long long)x->c.complaints);
        table_row(o, line);
    }
    table_end(o);

    heading(o, 2, "八、绩效评估与排名");
    table_start(o, "排名|单位|得分|等次|按时办结率|报警率|满意率|答复及时率");
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct report_row *x = &r->nodes[i];
        snprintf(line, sizeof line, "%zu|%s|%.1f|%s|%.1f%%|%.1f%%|%.1f%%|%.1f%%", i + 1,
                 node_zh(o, x->key), x->r.score, x->r.grade, pct(x->r.on_time_rate),
                 pct(1.0 - x->r.red_term), pct(x->r.satisfaction_rate), pct(x->r.response_rate));
        table_row(o, line);
    }
    table_end(o);
    heading(o, 3, "各市（州）区域");
    table_start(o, "区域|得分|等次|受理|办结");
    for (size_t i = 0; i < r->n_regions; i++) {
        const struct report_row *x = &r->regions[i];
        snprintf(line, sizeof line, "%s|%.1f|%s|%llu|%llu", node_zh(o, x->key), x->r.score,
                 x->r.grade, (unsigned long long)x->c.cases, (unsigned long long)x->c.concluded);
        table_row(o, line);
    }
    table_end(o);
    paragraph(o, "说明：得分 = 100 ×（0.35 按时办结率 + 0.25（1 − 报警率）+ 0.10（1 − 预警率）+ "
                 "0.15 满意率 + 0.15 答复及时率）；≥90 优秀，≥75 良好，≥60 合格，其余不合格。");
    if (o->fmt == F_HTML)
        /* the page's height for a screenshot of all of it (chromium --dump-dom shows it) */
        fputs("<script>document.body.setAttribute('data-height', "
              "String(document.documentElement.scrollHeight));</script>\n</body></html>\n",
              o->f);
}

/* ---- CSV: one long table ---- */

static void
csv_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
csv(const struct out *o, const char *section, const char *key, const char *name, const char *metric,
    double value, bool integer)
{
    fprintf(o->f, "%s,", section);
    csv_text(o->f, key);
    fputc(',', o->f);
    csv_text(o->f, name);
    if (integer)
        fprintf(o->f, ",%s,%.0f\n", metric, value);
    else
        fprintf(o->f, ",%s,%.4f\n", metric, value);
}

static void
csv_counters(const struct out *o, const char *section, const char *key, const char *name,
             const struct score_counters *c, const struct score_result *s)
{
    static const char *const names[] = {
        "cases",        "concluded",         "on_time", "red",          "yellow",
        "response_due", "responded_in_time", "ratings", "ratings_good", "complaints"};
    const uint64_t v[] = {c->cases,        c->concluded,    c->on_time,           c->red,
                          c->yellow,       c->response_due, c->responded_in_time, c->ratings,
                          c->ratings_good, c->complaints};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        csv(o, section, key, name, names[i], (double)v[i], true);
    csv(o, section, key, name, "score", s->score, false);
}

static void
write_csv(const struct out *o, const struct report *r)
{
    char root[7];
    node_format(r->root, root);
    fputs("section,key,name,metric,value\n", o->f);
    csv(o, "period", r->period, node_zh(o, root), "tier_root", (double)r->root, true);
    csv_counters(o, "total", root, node_zh(o, root), &r->total, &r->total_score);
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct report_row *x = &r->nodes[i];
        csv_counters(o, "node", x->key, node_zh(o, x->key), &x->c, &x->r);
        csv(o, "node", x->key, node_zh(o, x->key), "rank", (double)(i + 1), true);
        csv(o, "node_lights", x->key, node_zh(o, x->key), "yellow", (double)x->yellow, true);
        csv(o, "node_lights", x->key, node_zh(o, x->key), "red", (double)x->red, true);
    }
    for (size_t i = 0; i < r->n_categories; i++)
        csv_counters(o, "category", r->categories[i].key, view_category_name(r->categories[i].key),
                     &r->categories[i].c, &r->categories[i].r);
    for (size_t i = 0; i < r->n_regions; i++)
        csv_counters(o, "region", r->regions[i].key, node_zh(o, r->regions[i].key),
                     &r->regions[i].c, &r->regions[i].r);
    for (size_t i = 0; i < r->n_rules; i++) {
        csv(o, "rule", r->rules[i].key, view_rule_name(r->rules[i].key), "yellow",
            (double)r->rules[i].yellow, true);
        csv(o, "rule", r->rules[i].key, view_rule_name(r->rules[i].key), "red", (double)r->rules[i].red,
            true);
    }
    const struct {
        const char *metric;
        uint64_t v;
    } handling[] = {
        {"alerts", r->alerts},
        {"open", r->open},
        {"responded", r->responded},
        {"closed", r->closed},
        {"referred", r->referred},
        {"supervised", r->supervised},
        {"cases_opened", r->cases_opened},
        {"cases_reported_in_time", r->cases_reported_in_time},
        {"cases_overdue", r->cases_overdue},
        {"cases_extended", r->cases_extended},
        {"cases_closed", r->cases_closed},
    };
    for (size_t i = 0; i < sizeof handling / sizeof handling[0]; i++)
        csv(o, "handling", root, node_zh(o, root), handling[i].metric, (double)handling[i].v, true);
    for (size_t i = 0; i < r->n_offices; i++) {
        char code[7];
        node_format(r->offices[i].node, code);
        csv(o, "patrol", code, node_zh(o, code), "workdays", r->offices[i].workdays, true);
        csv(o, "patrol", code, node_zh(o, code), "patrols", (double)r->offices[i].patrols, true);
        csv(o, "patrol", code, node_zh(o, code), "short_days", r->offices[i].short_days, true);
    }
    for (int k = 0; k < REPORT_TREND_MONTHS; k++) {
        csv(o, "trend", r->trend[k].month, r->trend[k].month, "cases", (double)r->trend[k].cases,
            true);
        csv(o, "trend", r->trend[k].month, r->trend[k].month, "yellow", (double)r->trend[k].yellow,
            true);
        csv(o, "trend", r->trend[k].month, r->trend[k].month, "red", (double)r->trend[k].red, true);
    }
    for (size_t i = 0; i < r->n_notable; i++)
        csv(o, "notable", r->notable[i].id, view_rule_name(r->notable[i].rule), r->notable[i].node,
            (double)(i + 1), true);
}

int
cli_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},      {"period", required_argument, NULL, 'p'},
        {"tier-root", required_argument, NULL, 'r'}, {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},       {"calendar", required_argument, NULL, 'c'},
        {"regions", required_argument, NULL, 'g'},   {"catalog", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *period = NULL, *root = NULL, *format = "md", *out_path = NULL;
    const char *calendar_path = cli_default_calendar(), *regions_path = cli_default_regions();
    const char *catalog_path = cli_default_catalog();
    optind = 1;
    int ch;
    if (argc < 2 || strcmp(argv[1], "monthly") != 0)
        goto usage;
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'p':
            period = optarg;
            break;
        case 'r':
            root = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'c':
            calendar_path = optarg;
            break;
        case 'g':
            regions_path = optarg;
            break;
        case 'k':
            catalog_path = optarg;
            break;
        default:
            goto usage;
        }
    }
    int64_t first, next;
    if (!data || !root || node_valid(root, strlen(root)) != 0 ||
        calendar_parse_month(period, &first, &next) != 0 ||
        (strcmp(format, "md") && strcmp(format, "html") && strcmp(format, "csv")))
        goto usage;
    char why[ERR_WHY_MAX];
    calendar_t *cal = NULL;
    region_t *names = NULL;
    if (calendar_load(calendar_path, &cal, why, sizeof why) != 0) {
        fprintf(stderr, "jiancha report: calendar %s: %s\n", calendar_path, why);
        return 1;
    }
    if (region_load(regions_path, &names, why, sizeof why) != 0)
        fprintf(stderr, "jiancha report: region names %s: %s (codes shown instead)\n", regions_path,
                why);
    catalog_t *catalog = NULL;
    if (catalog_load(catalog_path, &catalog, why, sizeof why) != 0)
        fprintf(stderr, "jiancha report: catalogue %s: %s (department and item codes shown "
                        "instead)\n", catalog_path, why);
    store_t *st = NULL;
    struct report r;
    int rc = cli_open_store(data, "report monthly", &st) != 0 ? ERR_NOT_FOUND : 0;
    if (rc == 0)
        rc = report_build(st, cal, period, node_number(root), timestamp_now_ms(), &r);
    store_close(&st);
    calendar_destroy(&cal);
    if (rc != 0) {
        region_destroy(&names);
        catalog_destroy(&catalog);
        if (rc != ERR_NOT_FOUND)
            fprintf(stderr, "jiancha report: %s: %s\n", data, err_str(rc));
        return 1;
    }
    FILE *f = out_path ? fopen(out_path, "w") : stdout;
    int status = 0;
    if (!f) {
        fprintf(stderr, "jiancha report: cannot write %s\n", out_path);
        status = 1;
    } else {
        struct out o = {f,
                        strcmp(format, "html") == 0  ? F_HTML
                        : strcmp(format, "csv") == 0 ? F_CSV
                                                     : F_MD,
                        names, catalog};
        if (o.fmt == F_CSV)
            write_csv(&o, &r);
        else
            write_sections(&o, &r);
        if (out_path && fclose(f) != 0) {
            fprintf(stderr, "jiancha report: cannot write %s\n", out_path);
            status = 1;
        }
    }
    report_fini(&r);
    region_destroy(&names);
    catalog_destroy(&catalog);
    return status;
usage:
    fprintf(stderr, "usage: jiancha report monthly --data DIR --period YYYY-MM --tier-root NODE "
                    "[--format md|html|csv] [--out FILE] [--calendar F] [--regions F] "
                    "[--catalog F]\n");
    return 2;
}
