/* score: the formula of spec §6 and its grades. */
#include "score.h"

const struct score_weights score_default_weights = {0.35, 0.25, 0.10, 0.15, 0.15};

const char *
score_grade(double s)
{
    return s >= 90 ? "优秀" : s >= 75 ? "良好" : s >= 60 ? "合格" : "不合格";
}

static double
rate(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : 1.0;
}

void
score_compute(const struct score_counters *c, const struct score_weights *w,
              struct score_result *out)
{
    out->on_time_rate = rate(c->on_time, c->concluded);
    double red = c->cases ? (double)c->red / (double)c->cases : (c->red ? 1.0 : 0.0);
    double yellow = c->cases ? (double)c->yellow / (double)c->cases : (c->yellow ? 1.0 : 0.0);
    out->red_term = 1.0 - (red > 1 ? 1 : red);
    out->yellow_term = 1.0 - (yellow > 1 ? 1 : yellow);
    out->satisfaction_rate = rate(c->ratings_good, c->ratings);
    out->response_rate = rate(c->responded_in_time, c->response_due);
    out->score = 100.0 * (w->on_time * out->on_time_rate + w->red * out->red_term +
                          w->yellow * out->yellow_term + w->satisfaction * out->satisfaction_rate +
                          w->response * out->response_rate);
    out->grade = score_grade(out->score);
}

void
score_add(struct score_counters *to, const struct score_counters *from)
{
    to->cases += from->cases;
    to->concluded += from->concluded;
    to->on_time += from->on_time;
    to->red += from->red;
    to->yellow += from->yellow;
    to->response_due += from->response_due;
    to->responded_in_time += from->responded_in_time;
    to->ratings += from->ratings;
    to->ratings_good += from->ratings_good;
    to->complaints += from->complaints;
    to->escalated += from->escalated;
}
