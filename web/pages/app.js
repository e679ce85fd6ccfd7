/* jiancha-web: the supervision centre's screen (docs/api.md is the only data source).
 * Plain ES2017, no framework, no build step, nothing from outside the intranet.
 * Every text from the API goes into the page through textContent (the h() helper below);
 * nothing built from API strings is ever assigned to innerHTML.
 *
 * Hooks for tests: body[data-route] is set to the route once its data is rendered (removed while
 * a route loads), body[data-api] names the API URL of the page's main data, body[data-changes] is
 * the last `changes` of the live stream, body[data-render-seq] counts renders. */
'use strict';

(function () {

/* ---------------------------------------------------------------- names in Chinese */

const RULES = {
    'limit.case': '承诺时限', 'limit.legal': '法定时限', 'limit.step': '环节时限',
    'procedure.order': '违反办理程序', 'procedure.rollback': '违规回退',
    'qualification': '办理人员无资格', 'evidence.missing': '证据缺失', 'evidence.altered': '证据被更改',
    'basis.missing': '缺少法律依据', 'discretion': '超出裁量基准',
    'execution.mismatch': '执行与决定不符', 'execution.missing': '决定未执行',
    'item.unlisted': '清单外行使权力', 'item.offline': '事项未公开', 'item.mismatch': '公开信息与清单不符',
    'disclosure.late': '公开不及时', 'rating.bad': '群众不满意', 'complaint.overdue': '投诉信访超期',
    'supervision.overdue': '督办超期', 'patrol.shortfall': '巡查不足',
    'node.silent': '节点失联', 'node.clock': '节点时钟偏差', 'node.disk': '节点存储空间不足',
    'node.clone': '节点克隆', 'key.compromised': '密钥泄露', 'calendar.coverage': '工作日历未覆盖'
};
const LIGHTS = { red: '红灯报警', yellow: '黄灯预警' };
const LIGHT_SHORT = { red: '红灯', yellow: '黄灯' };
const ALERT_STATES = { open: '待答复', responded: '已答复', closed: '已摘牌', cleared: '已消除' };
const LEDGER_ACTIONS = {
    raised: '提出', escalated: '升级', responded: '答复', closed: '摘牌',
    cleared: '消除', lowered: '降级', corrected: '更正'
};
const SUP_STATES = { open: '督办中', reported: '已报告', closed: '已办结', overdue: '已超期' };
const ROLES = { supervisor: '监察人员', department: '部门人员', administrator: '系统管理员', auditor: '审计人员' };
const BY_NAMES = { node: '节点', dept: '部门', category: '类别', region: '地区' };
const GRADES = { A: '优秀', B: '良好', C: '合格', D: '不合格' };
const DEPTH_NAMES = ['本级', '市州', '县市区', '下级'];
const EVENT_TYPES = {
    'item.publish': '事项公开', 'item.withdraw': '事项撤回', 'staff.credential': '执法资格',
    'case.accept': '受理', 'case.step': '进入环节', 'case.rollback': '回退', 'case.suspend': '暂停计时',
    'case.resume': '恢复计时', 'case.extend': '延期', 'case.evidence': '登记证据',
    'case.evidence_remove': '移除证据', 'case.decision': '决定', 'case.execution': '执行',
    'case.close': '办结', 'rating': '评价', 'complaint.open': '投诉受理', 'complaint.close': '投诉办结',
    'alert.respond': '答复', 'alert.close': '摘牌', 'supervise.open': '立案督办',
    'supervise.extend': '督办延期', 'supervise.report': '督办报告', 'supervise.close': '督办办结'
};
const STATUS_TEXT = {
    0: '无法连接服务器', 400: '请求有误', 401: '未登录', 403: '无权查看（超出您的范围）',
    404: '未找到', 405: '不允许的操作', 500: '服务器内部错误', 502: '网关错误', 503: '服务暂不可用'
};
const LEVEL_TEXT = { ok: '正常', yellow: '预警', warn: '预警', warning: '预警', red: '报警', full: '已满', unknown: '未知' };

const LAG_GREY_S = 600;          /* a node this far behind is shown grey: its lights are stale */
const POLL_MS = 4000;            /* fallback when the live stream fails */
const STREAM_RETRY_MS = 30000;   /* try the stream again while polling */
const STREAM_SILENT_MS = 8000;   /* no first event this long after opening: poll meanwhile */

const COLORS = {
    red: '#d9312b', yellow: '#f2a516', green: '#2e9b5f', grey: '#98a2ad',
    blue: '#1d5fae', ink: '#1f2d3d', muted: '#6b7787'
};
const FONT = '"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif';

/* ---------------------------------------------------------------- DOM helpers */

/* h('tag.class', {attr: value, onclick: fn, dataset...}, child, …): children are nodes or text. */
/* spec is tag, tag#id, tag.class.class or tag#id.class (ids and classes are literals of this file). */
function h(spec, attrs) {
    const parts = spec.split('.');
    const tagId = parts[0].split('#');
    const el = document.createElement(tagId[0] || 'div');
    if (tagId[1]) el.id = tagId[1];
    if (parts.length > 1) el.className = parts.slice(1).join(' ');
    if (attrs) {
        for (const k of Object.keys(attrs)) {
            const v = attrs[k];
            if (v === null || v === undefined || v === false) continue;
            if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
            else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
            else if (k === 'text') el.textContent = String(v);
            else if (k === 'value') el.value = v;
            else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = !!v;
            else el.setAttribute(k, v === true ? '' : String(v));
        }
    }
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
}
function append(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { for (const k of kid) append(el, k); return; }
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
}
function $(sel, root) { return (root || document).querySelector(sel); }
function setText(sel, text) { const el = $(sel); if (el) el.textContent = text; }

/* ---------------------------------------------------------------- formatting */

const DASH = '—';
function has(v) { return v !== null && v !== undefined && v !== ''; }
function num(v) { return has(v) && typeof v === 'number' && isFinite(v) ? v.toLocaleString('zh-CN') : DASH; }
function pct(v) { return has(v) && typeof v === 'number' && isFinite(v) ? (v * 100).toFixed(1) + '%' : DASH; }
/* RFC 3339 local text as the node wrote it: no time-zone conversion in the browser. */
function fmtTime(s) {
    if (!has(s)) return DASH;
    const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)/.exec(String(s));
    return m ? m[1] + ' ' + m[2] : String(s);
}
function fmtDate(s) {
    if (!has(s)) return DASH;
    const m = /^(\d{4}-\d\d-\d\d)/.exec(String(s));
    return m ? m[1] : String(s);
}
function fmtShort(s) {
    if (!has(s)) return DASH;
    const m = /^\d{4}-(\d\d-\d\d)[T ](\d\d:\d\d)/.exec(String(s));
    return m ? m[1] + ' ' + m[2] : String(s);
}
function fmtMonth(m) {
    const x = /^(\d{4})-(\d\d)$/.exec(m || '');
    return x ? x[1] + '年' + x[2] + '月' : String(m || DASH);
}
function addMonths(m, n) {
    const x = /^(\d{4})-(\d\d)$/.exec(m || '');
    if (!x) return '';
    const t = Number(x[1]) * 12 + Number(x[2]) - 1 + n;
    return Math.floor(t / 12) + '-' + String(t % 12 + 1).padStart(2, '0');
}
function timeEl(s, dateOnly) {
    return h('time', { title: has(s) ? String(s) : null, datetime: has(s) ? String(s) : null },
        dateOnly ? fmtDate(s) : fmtTime(s));
}
function fmtDuration(s) {
    if (!has(s) || typeof s !== 'number') return DASH;
    const a = Math.abs(Math.round(s));
    if (a < 60) return a + ' 秒';
    if (a < 3600) return Math.floor(a / 60) + ' 分 ' + (a % 60) + ' 秒';
    if (a < 86400) return Math.floor(a / 3600) + ' 小时 ' + Math.floor((a % 3600) / 60) + ' 分';
    return Math.floor(a / 86400) + ' 天 ' + Math.floor((a % 86400) / 3600) + ' 小时';
}
function fmtSkew(ms) {
    if (!has(ms) || typeof ms !== 'number') return DASH;
    const sign = ms > 0 ? '+' : ms < 0 ? '−' : '';
    const a = Math.abs(ms);
    if (a < 1000) return sign + a + ' 毫秒';
    if (a < 60000) return sign + (a / 1000).toFixed(1) + ' 秒';
    return sign + fmtDuration(a / 1000);
}
function wdLeft(n, state) {
    if (!has(n) || typeof n !== 'number') return h('span.muted', null, DASH);
    const past = state === 'closed' || state === 'cleared';
    let cls = 'wd ok', text = '剩 ' + n + ' 个工作日';
    if (n < 0) { cls = 'wd overdue'; text = '已超期 ' + (-n) + ' 个工作日'; }
    else if (n === 0) { cls = 'wd today'; }
    else if (n <= 1) { cls = 'wd soon'; }
    if (past) cls = 'wd past';
    return h('span', { class: cls, title: n === 0 ? '今日为最后一个工作日' : null }, text);
}
function lightBadge(light) {
    if (light !== 'red' && light !== 'yellow') return h('span.muted', null, has(light) ? String(light) : DASH);
    return h('span.light.' + light, { 'data-light': light }, h('span.dot.' + light), LIGHTS[light]);
}
function lightDot(light) {
    if (light !== 'red' && light !== 'yellow') return h('span.dot.none');
    return h('span.dot.' + light, { title: LIGHTS[light] });
}
/* An alert's state; its handling as the API words it when given (a platform alarm: 待消除) */
function stateBadge(state, handling) {
    return h('span.state.s-' + (has(state) ? String(state).replace(/[^a-z]/g, '') : 'none'),
        { 'data-state': state }, has(handling) ? String(handling) : has(state) ? (ALERT_STATES[state] || String(state)) : DASH);
}
/* A node's standing alarms by rule: one badge per rule with how many stand (a day's patrol
 * shortfall is an alarm of its own), red if any is. */
function groupAlarms(alarms) {
    const byRule = new Map();
    for (const a of alarms) {
        if (!a || !a.rule) continue;
        const g = byRule.get(a.rule) || { rule: a.rule, rule_name: a.rule_name, count: 0, red: false };
        g.count += 1;
        g.red = g.red || a.light === 'red';
        byRule.set(a.rule, g);
    }
    return Array.from(byRule.values());
}

function ruleName(code, name) { return has(name) ? String(name) : has(code) ? (RULES[code] || String(code)) : DASH; }
function levelCell(v) {
    if (!has(v)) return h('span.muted', null, DASH);
    const s = String(v);
    const cls = s === 'ok' ? 'lvl ok' : (s === 'red' || s === 'full') ? 'lvl bad' : 'lvl warn';
    return h('span', { class: cls, title: s }, LEVEL_TEXT[s] || s);
}
/* A record's fields other than those already shown, compactly: key=value · key=value. */
function compactFields(obj, skip) {
    const out = [];
    if (!obj || typeof obj !== 'object') return out;
    for (const k of Object.keys(obj)) {
        if (skip && skip.indexOf(k) >= 0) continue;
        const v = obj[k];
        if (v === null || v === undefined) continue;
        const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
        out.push(h('span.kv', null, h('span.k', null, k), '=', h('span.v', null, text)));
    }
    return out;
}

/* ---------------------------------------------------------------- state */

const S = {
    me: null,
    nodes: null,           /* code → node row of /api/v1/nodes */
    nodeList: null,
    route: null, arg: '', params: new URLSearchParams(),
    page: null,            /* the mounted page: {load(), dispose()} */
    loading: null, again: false,
    renderSeq: 0,
    lastChanges: null,
    es: null, pollTimer: null, pollSig: null, streamRetry: null,
    leaving: false
};

/* ---------------------------------------------------------------- the API */

class ApiError extends Error {
    constructor(status, field, reason, path) {
        super(reason || '');
        this.status = status; this.field = field; this.reason = reason; this.path = path;
    }
}

function goSignin() {
    if (S.leaving) return;
    S.leaving = true;
    if (S.es) { S.es.close(); S.es = null; }
    location.replace('/');
}

async function api(path, opts) {
    let res;
    try {
        res = await fetch(path, Object.assign({
            credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' }
        }, opts || {}));
    } catch (e) {
        throw new ApiError(0, null, '网络错误，无法连接监察中心服务器', path);
    }
    if (res.status === 401) { goSignin(); throw new ApiError(401, null, '会话已结束，请重新登录', path); }
    if (res.status === 204) return null;
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
        const er = body && body.error ? body.error : {};
        throw new ApiError(er.status || res.status, er.field || null, er.reason || res.statusText || '', path);
    }
    if (body === null || typeof body !== 'object') throw new ApiError(res.status, null, '服务器的回答不是有效的 JSON', path);
    return body;
}

/* ---------------------------------------------------------------- message bar */

function showError(err) {
    if (err instanceof ApiError && err.status === 401) return;
    const bar = $('#message-bar');
    let text;
    if (err instanceof ApiError) {
        text = '请求失败（' + (err.status ? err.status + ' ' : '') + (STATUS_TEXT[err.status] || '错误') + '）';
        if (err.field) text += '：字段 ' + err.field;
        if (err.reason) text += (err.field ? ' — ' : '：') + err.reason;
        if (err.path) text += '　[' + err.path + ']';
    } else {
        text = '页面出错：' + (err && err.message ? err.message : String(err));
        if (window.console) console.error(err);
    }
    $('#message-text').textContent = text;
    bar.dataset.status = err instanceof ApiError ? String(err.status) : 'script';
    bar.hidden = false;
}
function clearError() { const bar = $('#message-bar'); bar.hidden = true; $('#message-text').textContent = ''; }

/* ---------------------------------------------------------------- header */

async function loadMe() {
    const me = await api('/api/v1/me');
    S.me = me;
    setText('#me-operator', has(me.operator) ? me.operator : DASH);
    setText('#me-role', has(me.role) ? (ROLES[me.role] || me.role) : DASH);
    let office = has(me.office_name) ? me.office_name : has(me.office) ? me.office : DASH;
    if (has(me.dept)) office += ' · 部门 ' + me.dept;
    setText('#me-office', office);
    setText('#me-expires', has(me.expires) ? ' · 会话至 ' + fmtTime(me.expires) : '');
    const nodeName = has(me.node_name) ? me.node_name : has(me.node) ? me.node : DASH;
    setText('#me-node', nodeName + (has(me.node) ? '（' + me.node + '）' : ''));
    document.title = nodeName + ' · 行政权力运行电子监察系统';
    if (has(me.now)) setText('#foot-now', '节点时间 ' + fmtTime(me.now));
}

/* The header's counters: lights still lit (open or responded), every red and yellow at this node. */
let countsInFlight = null;
function refreshCounts() {
    if (countsInFlight) return countsInFlight;
    countsInFlight = api('/api/v1/alerts?state=standing&limit=1')
        .then(r => { setCounts(r.red, r.yellow); return r; })
        .finally(() => { countsInFlight = null; });
    return countsInFlight;
}
function setCounts(red, yellow) {
    const r = $('#count-red'), y = $('#count-yellow');
    const rs = typeof red === 'number' ? String(red) : DASH, ys = typeof yellow === 'number' ? String(yellow) : DASH;
    if (r.textContent !== rs && r.textContent !== DASH) flash(r);
    if (y.textContent !== ys && y.textContent !== DASH) flash(y);
    r.textContent = rs; y.textContent = ys;
    r.dataset.value = rs; y.dataset.value = ys;
}
function flash(el) {
    el.classList.remove('flash');
    void el.offsetWidth;
    el.classList.add('flash');
}

async function ensureNodes(force) {
    if (S.nodeList && !force) return S.nodeList;
    const r = await api('/api/v1/nodes');
    S.nodeList = Array.isArray(r.nodes) ? r.nodes : [];
    S.nodes = {};
    for (const n of S.nodeList) S.nodes[n.node] = n;
    return S.nodeList;
}
function nodeName(code, given) {
    if (has(given)) return String(given);
    if (!has(code)) return DASH;
    const n = S.nodes && S.nodes[code];
    return n && has(n.name) ? n.name : String(code);
}
function nodeCell(code, given) {
    return h('span.node-name', { title: has(code) ? String(code) : null }, nodeName(code, given));
}

/* ---------------------------------------------------------------- router */

const PAGES = {};

function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    const parts = path.split('/');
    let route = parts[0] || 'overview';
    let arg = '';
    try { arg = decodeURIComponent(parts.slice(1).join('/')); } catch (e) { arg = parts.slice(1).join('/'); }
    if (!PAGES[route]) route = 'overview';
    return { route, arg, params };
}
function setHash(route, params) {
    const qs = params ? params.toString() : '';
    const want = '#/' + route + (qs ? '?' + qs : '');
    if (location.hash === want) refresh();
    else location.hash = want;
}

function show() {
    const { route, arg, params } = parseHash();
    if (S.page && S.page.dispose) { try { S.page.dispose(); } catch (e) { /* ignore */ } }
    document.body.removeAttribute('data-route');
    document.body.removeAttribute('data-route-error');
    document.body.removeAttribute('data-api');
    clearError();
    S.route = route; S.arg = arg; S.params = params;
    const tab = route === 'alert' ? 'alerts' : route;
    for (const a of document.querySelectorAll('#nav a[data-route]')) {
        if (a.dataset.route === tab) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
    }
    const main = $('#main');
    main.replaceChildren();
    main.className = 'page-' + route;
    S.page = PAGES[route](main, arg, params);
    window.scrollTo(0, 0);
    refresh();
}

/* Loads the current page's data again (no reload). A call while a load runs queues one more. */
async function refresh() {
    if (S.loading) { S.again = true; return S.loading; }
    const page = S.page, route = S.route;
    S.loading = (async () => {
        try {
            await page.load();
            if (S.page !== page) return;
            S.renderSeq += 1;
            document.body.dataset.renderSeq = String(S.renderSeq);
            document.body.removeAttribute('data-route-error');
            document.body.dataset.route = route;
        } catch (e) {
            if (S.page !== page) return;
            document.body.dataset.routeError = route;
            showError(e);
        }
    })();
    try { await S.loading; } finally {
        S.loading = null;
        if (S.again) { S.again = false; refresh(); }
    }
}

/* ---------------------------------------------------------------- live updates */

function setLive(mode, text) {
    const el = $('#live-status');
    el.dataset.mode = mode;
    el.textContent = text;
}

function onChanged() {
    refreshCounts().catch(showError);
    refresh();
}

function startStream() {
    if (S.leaving) return;
    if (typeof EventSource !== 'function') { startPolling(); return; }
    if (S.es) S.es.close();
    let es;
    try { es = new EventSource('/api/v1/stream'); } catch (e) { startPolling(); return; }
    S.es = es;
    /* The daemon sends the lights on opening: silence means a buffering proxy or a stuck stream. */
    let heard = false;
    setTimeout(() => { if (S.es === es && !heard) startPolling(); }, STREAM_SILENT_MS);
    es.addEventListener('lights', ev => {
        heard = true;
        let d;
        try { d = JSON.parse(ev.data); } catch (e) { return; }
        stopPolling();
        setLive('stream', '实时');
        if (!d || !has(d.changes)) return;
        const changes = String(d.changes);
        const before = S.lastChanges;
        S.lastChanges = changes;
        document.body.dataset.changes = changes;
        if (has(d.at)) setText('#foot-now', '节点时间 ' + fmtTime(d.at));
        if (before !== null && before !== changes) onChanged();
    });
    es.addEventListener('error', () => {
        if (S.es !== es) return;
        if (es.readyState === 2 /* CLOSED: refused (401, 404, not an event stream) */) {
            es.close();
            S.es = null;
            startPolling();
            api('/api/v1/me').catch(() => { /* a 401 goes to sign-in; others show in the poll */ });
            clearTimeout(S.streamRetry);
            S.streamRetry = setTimeout(startStream, STREAM_RETRY_MS);
        } else {
            /* the browser reconnects by itself; poll meanwhile so nothing is missed */
            startPolling();
        }
    });
}

function startPolling() {
    if (S.pollTimer || S.leaving) return;
    setLive('poll', '轮询');
    const tick = async () => {
        try {
            const r = await api('/api/v1/alerts?state=standing&limit=1');
            const first = Array.isArray(r.alerts) && r.alerts[0] ? r.alerts[0] : {};
            const sig = [r.total, r.red, r.yellow, first.id, first.state, first.light].join('|');
            /* the first poll after the stream failed: catch up on what moved meanwhile */
            const shown = [$('#count-red').dataset.value, $('#count-yellow').dataset.value].join('|');
            const moved = S.pollSig === null && shown !== '|' && shown !== [r.red, r.yellow].join('|');
            setCounts(r.red, r.yellow);
            if (moved) refresh();
            if ($('#live-status').dataset.mode === 'down') setLive('poll', '轮询');
            if (S.pollSig !== null && S.pollSig !== sig) refresh();
            S.pollSig = sig;
        } catch (e) {
            setLive('down', '连接中断');
        }
    };
    S.pollSig = null;
    tick();
    S.pollTimer = setInterval(tick, POLL_MS);
}
function stopPolling() {
    if (!S.pollTimer) return;
    clearInterval(S.pollTimer);
    S.pollTimer = null;
    S.pollSig = null;
}

/* ---------------------------------------------------------------- charts */

function chartsReady() { return typeof window.echarts === 'object' && window.echarts && typeof window.echarts.init === 'function'; }
function makeChart(el) {
    if (!chartsReady()) {
        el.replaceChildren(h('div.chart-missing', null, '图表组件未加载（/vendor/echarts/echarts.min.js），请看下方表格。'));
        return null;
    }
    return window.echarts.init(el, null, { renderer: 'canvas' });
}
function chartsResizer(charts) {
    const onResize = () => { for (const c of charts()) if (c) c.resize(); };
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
}

/* ---------------------------------------------------------------- shared widgets */

function card(label, id, cls, sub) {
    return h('div.card' + (cls ? '.' + cls : ''), null,
        h('div.card-label', null, label),
        h('div.card-value', { id: id }, DASH),
        sub ? h('div.card-sub', { id: id + '-sub' }, sub) : null);
}
function table(cls, headers) {
    const thead = h('thead', null, h('tr', null, headers.map(x => Array.isArray(x)
        ? h('th', { class: x[1] || null, title: x[2] || null }, x[0]) : h('th', null, x))));
    const tbody = h('tbody');
    const t = h('table.grid' + (cls ? '.' + cls : ''), null, thead, tbody);
    return { table: t, tbody };
}
function emptyRow(tbody, cols, text) {
    tbody.replaceChildren(h('tr.empty', null, h('td', { colspan: cols }, text)));
}
function section(title, extra) {
    return h('section.panel', null, h('div.panel-head', null, h('h2', null, title), extra || null));
}
function monthOf(s) {
    const m = /^(\d{4}-\d\d)/.exec(has(s) ? String(s) : '');
    return m ? m[1] : '';
}
function select(id, options, value, onchange) {
    return h('select', { id: id, name: id, onchange: onchange },
        options.map(o => h('option', { value: o[0], selected: String(o[0]) === String(value || '') }, o[1])));
}

/* ================================================================ #/overview 总览 */

function nodeStatus(n) {
    const alarms = Array.isArray(n.alarms) ? n.alarms : [];
    const silent = alarms.some(a => a && a.rule === 'node.silent');
    const lagging = typeof n.lag_s === 'number' && n.lag_s >= LAG_GREY_S;
    const light = (n.red || 0) > 0 ? 'red' : (n.yellow || 0) > 0 ? 'yellow' : 'green';
    return { light, grey: silent || lagging, silent, lagging, alarms };
}

PAGES.overview = function (main) {
    const cards = h('div.cards', null,
        card('在亮红灯报警', 'overview-red', 'red', '未摘牌（待答复与已答复）'),
        card('在亮黄灯预警', 'overview-yellow', 'yellow', '未摘牌（待答复与已答复）'),
        card('待答复', 'overview-open', null, '红灯与黄灯'),
        card('监察节点', 'overview-nodes', null, '本级及下级'),
        card('失联或滞后节点', 'overview-grey', 'grey', '节点失联或数据滞后 ≥ 10 分钟'),
        card('节点告警', 'overview-alarms', null, '时钟、存储、日历等'));
    const legend = h('div.legend', null,
        h('span', null, h('span.swatch.red'), '有红灯'), h('span', null, h('span.swatch.yellow'), '有黄灯'),
        h('span', null, h('span.swatch.green'), '正常'), h('span', null, h('span.swatch.grey'), '失联／滞后'),
        h('span', null, h('span.swatch.hatched'), '有节点告警'));
    const mapEl = h('div#node-map.chart.chart-map');
    const mapPanel = section('节点灯情', legend);
    mapPanel.appendChild(mapEl);
    mapPanel.appendChild(h('div.hint', null, '点击节点查看其预警报警。面积相同，仅表示节点；颜色表示在亮灯情。'));
    const t = table('nodes', [['节点'], ['红灯', 'n'], ['黄灯', 'n'], ['积压', 'n', '积压批次（backlog）'],
        ['数据滞后', 'n', 'lag_s'], ['时钟偏差', 'n', 'skew_ms'], ['目录／日历', 'n', '权力清单目录版本／工作日历版本'],
        ['日历覆盖'], ['存储'], ['最后联系'], ['节点告警']]);
    t.table.id = 'node-table';
    const tablePanel = section('节点运行状况');
    tablePanel.appendChild(h('div.table-wrap', null, t.table));
    main.append(cards, h('div.overview-grid', null, mapPanel, tablePanel));

    let chart = null;
    const unresize = chartsResizer(() => [chart]);

    async function load() {
        const [nodesR, standing, open] = await Promise.all([
            api('/api/v1/nodes'),
            refreshCounts(),
            api('/api/v1/alerts?state=open&limit=1')
        ]);
        document.body.dataset.api = '/api/v1/nodes';
        const nodes = Array.isArray(nodesR.nodes) ? nodesR.nodes : [];
        S.nodeList = nodes; S.nodes = {};
        for (const n of nodes) S.nodes[n.node] = n;

        setText('#overview-red', num(standing.red));
        setText('#overview-yellow', num(standing.yellow));
        setText('#overview-open', num(open.total));
        setText('#overview-nodes', num(nodes.length));
        const st = nodes.map(nodeStatus);
        setText('#overview-grey', num(st.filter(s => s.grey).length));
        setText('#overview-alarms', num(st.reduce((a, s) => a + s.alarms.length, 0)));

        renderTable(nodes);
        renderMap(nodes, nodesR.node);
    }

    function renderTable(nodes) {
        if (!nodes.length) { emptyRow(t.tbody, 11, '无节点数据'); return; }
        t.tbody.replaceChildren(...nodes.map(n => {
            const s = nodeStatus(n);
            const depth = typeof n.depth === 'number' ? n.depth : 0;
            const tr = h('tr', {
                'data-node': n.node, 'data-depth': String(depth), 'data-light': s.light, 'data-grey': s.grey ? '1' : null,
                class: 'clickable' + (s.grey ? ' row-grey' : ''), title: '查看 ' + nodeName(n.node, n.name) + ' 的预警报警',
                onclick: () => setHash('alerts', new URLSearchParams({ node: n.node }))
            },
            h('td.node-cell', null, h('span', { class: 'indent d' + Math.min(depth, 3) }),
                h('span', { class: 'dot ' + (s.grey ? 'grey' : s.light) }),
                h('b', null, nodeName(n.node, n.name)), h('span.code', null, n.node)),
            h('td.n', null, h('span', { class: (n.red || 0) > 0 ? 'num-red' : 'num-zero' }, num(n.red))),
            h('td.n', null, h('span', { class: (n.yellow || 0) > 0 ? 'num-yellow' : 'num-zero' }, num(n.yellow))),
            h('td.n', { class: (n.backlog || 0) > 0 ? 'warn' : null }, num(n.backlog)),
            h('td.n', { class: s.lagging ? 'bad' : null, title: has(n.lag_s) ? n.lag_s + ' 秒' : null }, fmtDuration(n.lag_s)),
            h('td.n', { class: typeof n.skew_ms === 'number' && Math.abs(n.skew_ms) >= 300000 ? 'bad' : typeof n.skew_ms === 'number' && Math.abs(n.skew_ms) >= 60000 ? 'warn' : null }, fmtSkew(n.skew_ms)),
            h('td.n', null, (has(n.catalog) ? 'v' + n.catalog : DASH) + ' / ' + (has(n.calendar) ? 'v' + n.calendar : DASH)),
            h('td', null, levelCell(n.coverage)),
            h('td', null, levelCell(n.disk)),
            h('td.nowrap', null, h('time', { title: has(n.last_contact) ? String(n.last_contact) : null }, fmtShort(n.last_contact))),
            h('td', null, s.alarms.length ? groupAlarms(s.alarms).map(g => h('span', {
                class: 'alarm ' + (g.red ? 'red' : 'yellow'), 'data-rule': g.rule, title: g.rule
            }, ruleName(g.rule, g.rule_name) + (g.count > 1 ? ' ×' + g.count : ''))) : h('span.muted', null, '无')));
            return tr;
        }));
    }

    function renderMap(nodes, rootCode) {
        if (!chart) chart = makeChart(mapEl);
        if (!chart) return;
        const byCode = {};
        for (const n of nodes) byCode[n.node] = { n, kids: [] };
        const roots = [];
        for (const n of nodes) {
            const p = has(n.parent) ? byCode[n.parent] : null;
            if (p && n.parent !== n.node) p.kids.push(byCode[n.node]); else roots.push(byCode[n.node]);
        }
        const sums = e => {
            if (e.sum) return e.sum;
            const s = { red: e.n.red || 0, yellow: e.n.yellow || 0 };
            for (const k of e.kids) { const c = sums(k); s.red += c.red; s.yellow += c.yellow; }
            e.sum = s;
            return s;
        };
        const short = name => name.length >= 3 && /[区县市]$/.test(name) && !/自治[县州]$/.test(name) ? name.slice(0, -1) : name;
        const hatch = { symbol: 'rect', symbolSize: 1, dashArrayX: [1, 0], dashArrayY: [3, 4], rotation: -Math.PI / 4, color: 'rgba(255,255,255,0.45)' };
        const hatchGrey = { symbol: 'rect', symbolSize: 1, dashArrayX: [1, 0], dashArrayY: [2, 5], rotation: -Math.PI / 4, color: 'rgba(255,255,255,0.35)' };
        const tile = (n, own, root) => {
            const s = nodeStatus(n);
            const color = s.grey ? COLORS.grey : COLORS[s.light];
            const full = nodeName(n.node, n.name);
            const item = {
                name: own ? (root ? full + '本级' : '本级') : short(full), full: full + (own ? '（本级）' : ''), value: 1, code: n.node,
                red: n.red || 0, yellow: n.yellow || 0, alarms: s.alarms, lag: n.lag_s, grey: s.grey,
                itemStyle: { color: color },
                label: { color: s.grey ? '#1f2d3d' : s.light === 'yellow' ? '#3b2600' : '#ffffff' }
            };
            if (s.grey || s.alarms.length) item.itemStyle.decal = s.grey ? hatchGrey : hatch;
            return item;
        };
        const build = (e, depth) => {
            if (!e.kids.length) return tile(e.n, false);
            const s = nodeStatus(e.n);
            const sum = sums(e);
            const children = [tile(e.n, true, depth === 0)].concat(e.kids.map(k => build(k, depth + 1)));
            return {
                name: nodeName(e.n.node, e.n.name), full: nodeName(e.n.node, e.n.name) + '（含下级）', code: e.n.node,
                red: sum.red, yellow: sum.yellow, parentTile: true,
                alarms: s.alarms, lag: e.n.lag_s, grey: s.grey, children: children,
                itemStyle: { borderColor: s.grey ? '#7d8792' : depth === 0 ? '#ffffff' : '#dfe5ec' }
            };
        };
        let data = [];
        if (roots.length === 1 && roots[0].kids.length) data = build(roots[0], 0).children;
        else data = roots.map(r => build(r, 1));
        chart.setOption({
            textStyle: { fontFamily: FONT },
            tooltip: {
                confine: true,
                formatter: p => {
                    const d = p.data || {};
                    const esc = s => String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
                    let s = '<b>' + esc(d.full || d.name || '') + '</b>　' + esc(d.code || '') +
                        '<br>红灯 ' + (d.red || 0) + '　黄灯 ' + (d.yellow || 0);
                    if (has(d.lag)) s += '<br>数据滞后 ' + esc(fmtDuration(d.lag));
                    for (const g of groupAlarms(d.alarms || [])) s += '<br>⚠ ' + esc(ruleName(g.rule, g.rule_name)) + (g.count > 1 ? ' ×' + g.count : '') + '（' + esc(LIGHTS[g.red ? 'red' : 'yellow']) + '）';
                    return s;
                }
            },
            series: [{
                type: 'treemap', roam: false, nodeClick: false, breadcrumb: { show: false },
                left: 0, right: 0, top: 0, bottom: 0, squareRatio: 0.8,
                label: {
                    show: true, fontFamily: FONT, fontSize: 12, color: '#fff', overflow: 'truncate', lineHeight: 15, fontWeight: 'bold',
                    formatter: p => {
                        const d = p.data || {};
                        const flags = (d.red ? '红' + d.red + ' ' : '') + (d.yellow ? '黄' + d.yellow : '');
                        return d.grey ? p.name + '\n失联/滞后' : flags ? p.name + '\n' + flags : p.name;
                    }
                },
                upperLabel: { show: true, height: 20, color: '#1f2d3d', fontFamily: FONT, fontSize: 12, fontWeight: 'bold',
                    formatter: p => { const d = p.data || {}; return p.name + ((d.red || d.yellow) ? '　红 ' + d.red + ' · 黄 ' + d.yellow : ''); } },
                itemStyle: { borderColor: '#fff', borderWidth: 1, gapWidth: 1 },
                levels: [
                    { itemStyle: { borderWidth: 3, gapWidth: 3, borderColor: '#f4f6f9' }, upperLabel: { show: false } },
                    { itemStyle: { borderWidth: 2, gapWidth: 1 }, upperLabel: { show: true } },
                    { itemStyle: { borderWidth: 1, gapWidth: 1 } }
                ],
                data: data
            }]
        }, true);
        chart.off('click');
        chart.on('click', p => { if (p.data && p.data.code) setHash('alerts', new URLSearchParams({ node: p.data.code })); });
        mapEl.dataset.nodes = String(nodes.length);
        mapEl.dataset.root = has(rootCode) ? String(rootCode) : '';
    }

    return { load, dispose() { unresize(); if (chart) chart.dispose(); } };
};

/* ================================================================ #/alerts 预警报警 */

const ALERT_FILTERS = ['light', 'rule', 'article', 'node', 'dept', 'state', 'queue', 'from', 'to'];
const PAGE_SIZES = [20, 50, 100, 200];
const DEFAULT_LIMIT = 50;

PAGES.alerts = function (main, _arg, params) {
    const limit = PAGE_SIZES.indexOf(Number(params.get('limit'))) >= 0 ? Number(params.get('limit')) : DEFAULT_LIMIT;
    const offset = Math.max(0, Math.floor(Number(params.get('offset')) || 0));
    const val = k => params.get(k) || '';

    const nodeSel = h('select', { id: 'f-node', name: 'node' }, h('option', { value: '' }, '全部节点'));
    const queueSel = h('select', { id: 'f-queue', name: 'queue' }, h('option', { value: '' }, '全部'));
    const deptList = h('datalist', { id: 'dept-list' });
    const form = h('form#alert-filters.filters', { autocomplete: 'off' },
        field('灯色', select('f-light', [['', '全部'], ['red', '红灯报警'], ['yellow', '黄灯预警']], val('light'))),
        field('规则', select('f-rule', [['', '全部规则']].concat(Object.keys(RULES).map(k => [k, RULES[k]])), val('rule'))),
        field('条款', h('input', { id: 'f-article', name: 'article', type: 'text', value: val('article'), placeholder: '如 10(2)3', size: 8 })),
        field('节点', nodeSel),
        field('部门', h('input', { id: 'f-dept', name: 'dept', type: 'text', value: val('dept'), placeholder: '部门代码', list: 'dept-list', size: 9 })),
        field('状态', select('f-state', [['', '全部'], ['standing', '未摘牌（待答复＋已答复）'], ['open', '待答复'], ['responded', '已答复'], ['closed', '已摘牌'], ['cleared', '已消除']], val('state'))),
        field('承办节点', queueSel),
        field('提出日期自', h('input', { id: 'f-from', name: 'from', type: 'date', value: val('from') })),
        field('至', h('input', { id: 'f-to', name: 'to', type: 'date', value: val('to') })),
        field('每页', select('f-limit', PAGE_SIZES.map(n => [String(n), n + ' 条']), String(limit))),
        h('div.filter-buttons', null,
            h('button.btn.btn-primary', { type: 'submit', id: 'f-apply' }, '查询'),
            h('button.btn', { type: 'button', id: 'f-reset', onclick: () => setHash('alerts', null) }, '重置')),
        deptList);
    form.addEventListener('submit', ev => {
        ev.preventDefault();
        const p = new URLSearchParams();
        for (const k of ALERT_FILTERS) {
            const el = form.querySelector('[name="' + k + '"], #f-' + k);
            const v = el ? String(el.value).trim() : '';
            if (v) p.set(k, v);
        }
        const lim = $('#f-limit').value;
        if (lim && Number(lim) !== DEFAULT_LIMIT) p.set('limit', lim);
        setHash('alerts', p);
    });

    const summary = h('div.summary', { id: 'alerts-summary' },
        '共 ', h('b#alerts-total', null, DASH), ' 条',
        h('span.sep'), h('span.dot.red'), '红灯 ', h('b#alerts-red.num-red', null, DASH),
        h('span.sep'), h('span.dot.yellow'), '黄灯 ', h('b#alerts-yellow.num-yellow', null, DASH),
        h('span.sep'), h('span#alerts-range.muted'));
    const t = table('alerts', ['灯色', '规则', ['条款'], '节点', '部门', '事项／案件', '提出时间', '状态', '答复期限', '承办', '督办']);
    t.table.id = 'alert-table';
    const pager = h('div#pager.pager');
    const panel = section('预警报警队列', summary);
    panel.append(form, h('div.table-wrap', null, t.table), pager);
    main.append(panel);

    let seen = null;
    const deptsListed = new Set();
    /* the node pickers, filled once whether or not the alerts load */
    const nodesReady = ensureNodes().catch(() => null).then(list => {
        for (const n of list || []) {
            const label = nodeName(n.node, n.name) + '（' + n.node + '）';
            nodeSel.appendChild(h('option', { value: n.node, selected: n.node === val('node') }, label));
            queueSel.appendChild(h('option', { value: n.node, selected: n.node === val('queue') }, label));
        }
        for (const [sel, k] of [[nodeSel, 'node'], [queueSel, 'queue']]) {
            if (val(k) && !Array.from(sel.options).some(o => o.value === val(k)))
                sel.appendChild(h('option', { value: val(k), selected: true }, val(k)));
        }
    });

    async function load() {
        const q = new URLSearchParams();
        for (const k of ALERT_FILTERS) if (params.get(k)) q.set(k, params.get(k));
        q.set('limit', String(limit));
        q.set('offset', String(offset));
        const url = '/api/v1/alerts?' + q.toString();
        const [r] = await Promise.all([api(url), nodesReady]);
        document.body.dataset.api = url;
        const alerts = Array.isArray(r.alerts) ? r.alerts : [];
        setText('#alerts-total', num(r.total));
        setText('#alerts-red', num(r.red));
        setText('#alerts-yellow', num(r.yellow));
        const from = alerts.length ? (r.offset || 0) + 1 : 0;
        setText('#alerts-range', alerts.length ? '本页第 ' + from + '–' + ((r.offset || 0) + alerts.length) + ' 条' : '');

        const depts = {};
        for (const a of alerts) if (has(a.dept)) depts[a.dept] = a.dept_name || '';
        for (const d of Object.keys(depts)) {
            if (deptsListed.has(d)) continue;
            deptsListed.add(d);
            deptList.appendChild(h('option', { value: d }, depts[d] ? depts[d] : d));
        }

        if (!alerts.length) emptyRow(t.tbody, 11, '没有符合条件的预警报警');
        else {
            const fresh = seen ? alerts.filter(a => !seen.has(a.id)).map(a => a.id) : [];
            t.tbody.replaceChildren(...alerts.map(a => alertRow(a, fresh.indexOf(a.id) >= 0)));
        }
        seen = new Set(alerts.map(a => a.id));
        renderPager(r.total, r.offset || 0, r.limit || limit);
    }

    function alertRow(a, fresh) {
        const subject = has(a.case) ? h('span', null, h('span.tag', null, '案件'), String(a.case))
            : has(a.item) ? h('span', null, h('span.tag', null, '事项'), String(a.item))
            : has(a.subject) ? String(a.subject) : h('span.muted', null, DASH);
        return h('tr', {
            'data-alert-id': a.id, 'data-light': a.light, 'data-state': a.state,
            class: 'clickable light-row-' + (a.light || 'none') + (fresh ? ' fresh' : ''),
            onclick: ev => { if (!(ev.target instanceof HTMLAnchorElement)) location.hash = '#/alert/' + encodeURIComponent(a.id); }
        },
        h('td.nowrap', null, lightBadge(a.light)),
        h('td', null, h('a', { href: '#/alert/' + encodeURIComponent(a.id), class: 'rule-link', title: a.id }, ruleName(a.rule, a.rule_name))),
        h('td.nowrap', null, has(a.article) ? String(a.article) : DASH),
        h('td', null, nodeCell(a.node, a.node_name)),
        h('td', null, has(a.dept_name) ? String(a.dept_name) : has(a.dept) ? String(a.dept) : DASH),
        h('td.subject', { title: has(a.detail) ? String(a.detail) : null }, subject,
            has(a.detail_zh || a.detail) ? h('div.detail-line', null, String(a.detail_zh || a.detail)) : null),
        h('td.nowrap', null, timeEl(a.raised_at)),
        h('td.nowrap', null, stateBadge(a.state, a.handling)),
        h('td.nowrap', null, wdLeft(a.answer_wd_left, a.state),
            has(a.answer_due) ? h('div.sub', null, '至 ', timeEl(a.answer_due, true)) : null),
        h('td', null, has(a.queue) ? nodeCell(a.queue) : DASH),
        h('td.nowrap', null, has(a.supervision) ? h('span.tag.sup', null, String(a.supervision)) : h('span.muted', null, DASH)));
    }

    function renderPager(total, off, lim) {
        pager.replaceChildren();
        if (typeof total !== 'number') return;
        const pages = Math.max(1, Math.ceil(total / lim));
        const cur = Math.floor(off / lim) + 1;
        const go = o => { const p = new URLSearchParams(params); if (o > 0) p.set('offset', String(o)); else p.delete('offset'); setHash('alerts', p); };
        pager.append(
            h('button.btn', { type: 'button', id: 'page-prev', disabled: off <= 0, onclick: () => go(Math.max(0, off - lim)) }, '‹ 上一页'),
            h('span.page-info', null, '第 ', h('b', null, String(cur)), ' / ' + pages + ' 页，共 ' + total.toLocaleString('zh-CN') + ' 条'),
            h('button.btn', { type: 'button', id: 'page-next', disabled: off + lim >= total, onclick: () => go(off + lim) }, '下一页 ›'));
    }

    return { load };
};

function field(label, control) {
    return h('label.field', null, h('span.field-label', null, label), control);
}

/* ================================================================ #/alert/{id} 预警报警详情 */

PAGES.alert = function (main, id) {
    const back = h('a.back', { href: '#/alerts' }, '‹ 返回预警报警队列');
    const detail = h('section#alert-detail.panel');
    const ledger = h('ol#ledger.timeline');
    const ledgerPanel = section('处置台账');
    ledgerPanel.appendChild(ledger);
    const supPanel = section('督办案件');
    const sup = h('div#alert-supervision');
    supPanel.appendChild(sup);
    const t = table('events', [['序号', 'n'], '类型', '时间', '记录内容']);
    t.table.id = 'case-events';
    const evPanel = section('案件全部记录', h('span#case-events-count.muted'));
    evPanel.appendChild(h('div.table-wrap', null, t.table));
    main.append(h('div.crumbs', null, back), detail, h('div.detail-grid', null, ledgerPanel, supPanel), evPanel);

    async function load() {
        if (!id) throw new ApiError(404, 'id', '未指定预警报警编号', location.hash);
        const url = '/api/v1/alerts/' + encodeURIComponent(id);
        const [r] = await Promise.all([api(url), ensureNodes().catch(() => null)]);
        document.body.dataset.api = url;
        const a = r.alert || {};
        renderDetail(a);
        renderLedger(Array.isArray(a.ledger) ? a.ledger : []);
        renderSupervision(r.supervision || null, a);
        renderEvents(Array.isArray(r.events) ? r.events : [], a);
    }

    function renderDetail(a) {
        detail.dataset.alertId = a.id || id;
        detail.dataset.light = a.light || '';
        detail.dataset.state = a.state || '';
        const rows = [
            ['编号', h('code', null, has(a.id) ? String(a.id) : id)],
            ['规则', [ruleName(a.rule, a.rule_name), has(a.rule) ? h('span.code', null, a.rule) : null]],
            ['条款', has(a.article) ? String(a.article) : DASH],
            ['状态', stateBadge(a.state, a.handling)],
            ['节点', [nodeCell(a.node, a.node_name), has(a.node) ? h('span.code', null, a.node) : null]],
            ['部门', [has(a.dept_name) ? String(a.dept_name) : DASH, has(a.dept) ? h('span.code', null, a.dept) : null]],
            ['事项', has(a.item_name) ? [String(a.item_name), h('span.code', null, a.item)] : has(a.item) ? String(a.item) : DASH],
            ['案件', has(a.case) ? String(a.case) : DASH],
            ['提出时间', timeEl(a.raised_at)],
            ['承办节点', has(a.queue) ? [nodeCell(a.queue), h('span.code', null, a.queue)] : DASH],
            ['答复期限', has(a.answer_due) ? [timeEl(a.answer_due), ' ', wdLeft(a.answer_wd_left, a.state)] : h('span.muted', null, '无答复时限')],
            ['督办', has(a.supervision) ? String(a.supervision) : DASH]
        ];
        if (has(a.finding)) rows.push(['规则判定', lightBadge(a.finding)]);
        if (has(a.finding_at)) rows.push(['判定时间', timeEl(a.finding_at)]);
        if (has(a.answer_from)) rows.push(['答复起算', timeEl(a.answer_from)]);
        detail.replaceChildren(
            h('div.detail-head', null, lightBadge(a.light), h('h1', null, ruleName(a.rule, a.rule_name)),
                h('span.muted', null, has(a.node_name) ? String(a.node_name) : ''),
                h('span.muted', null, has(a.dept_name) ? String(a.dept_name) : '')),
            has(a.detail_zh || a.detail) ? h('p.detail-text', { title: has(a.detail) ? String(a.detail) : null }, String(a.detail_zh || a.detail)) : null,
            h('dl.facts', null, rows.map(r => [h('dt', null, r[0]), h('dd', null, r[1])])));
    }

    function renderLedger(entries) {
        ledger.dataset.count = String(entries.length);
        if (!entries.length) { ledger.replaceChildren(h('li.empty', null, '台账为空')); return; }
        ledger.replaceChildren(...entries.map((e, i) => h('li', { 'data-action': e.action, 'data-index': String(i), class: 'act-' + (e.action || 'x') },
            h('div.tl-time', null, timeEl(e.at)),
            h('div.tl-body', null,
                h('b.tl-action', null, has(e.action) ? (LEDGER_ACTIONS[e.action] || String(e.action)) : DASH),
                has(e.light) ? lightBadge(e.light) : null,
                h('span.tl-extra', null, compactFields(e, ['at', 'action', 'light']))))));
    }

    function renderSupervision(s, a) {
        if (!s) {
            sup.dataset.has = '0';
            sup.replaceChildren(h('p.muted', null, has(a.supervision) ? '督办案件 ' + a.supervision + ' 不在本节点范围内。' : '本预警报警未立案督办。'));
            return;
        }
        sup.dataset.has = '1';
        sup.replaceChildren(h('dl.facts.narrow', null, [
            ['督办编号', has(s.supervision) ? String(s.supervision) : DASH],
            ['状态', h('span', { class: 'state sup-' + (s.state || '') }, has(s.state) ? (SUP_STATES[s.state] || String(s.state)) : DASH)],
            ['事由', has(s.subject) ? String(s.subject) : DASH],
            ['督办机关', nodeCell(s.office)],
            ['被督办', [nodeCell(s.target_node), ' ', has(s.dept_name) ? String(s.dept_name) : has(s.target_dept) ? String(s.target_dept) : '']],
            ['立案时间', timeEl(s.opened_at)],
            ['报告期限', [timeEl(s.due, true), ' ', s.state === 'open' || s.state === 'overdue' ? wdLeft(s.wd_left) : null]],
            ['已批准延期', has(s.extended_wd) ? s.extended_wd + ' 个工作日' : DASH],
            ['报告时间', timeEl(s.reported_at)],
            ['办结时间', timeEl(s.closed_at)]
        ].map(r => [h('dt', null, r[0]), h('dd', null, r[1])])));
    }

    function renderEvents(events, a) {
        setText('#case-events-count', has(a.case) ? '案件 ' + a.case + ' · 共 ' + events.length + ' 条记录（按本节点存储顺序）' : '共 ' + events.length + ' 条记录');
        t.table.dataset.count = String(events.length);
        if (!events.length) { emptyRow(t.tbody, 4, has(a.case) ? '本节点没有该案件的记录' : '本预警报警不涉及案件'); return; }
        t.tbody.replaceChildren(...events.map(e => {
            const rec = e && e.record && typeof e.record === 'object' ? e.record : {};
            return h('tr', { 'data-seq': has(e.seq) ? String(e.seq) : '', 'data-type': rec.type || '' },
                h('td.n', null, has(e.seq) ? String(e.seq) : DASH),
                h('td.nowrap', null, h('b', null, EVENT_TYPES[rec.type] || (has(rec.type) ? String(rec.type) : DASH)),
                    has(rec.type) ? h('span.code', null, String(rec.type)) : null),
                h('td.nowrap', null, timeEl(rec.at)),
                h('td.record', null, compactFields(rec, ['type', 'at'])));
        }));
    }

    return { load };
};

/* ================================================================ #/supervision 督办 */

PAGES.supervision = function (main, _arg, params) {
    const state = params.get('state') || '';
    const filters = h('form.filters.inline', { onsubmit: ev => ev.preventDefault() },
        field('状态', select('f-sup-state', [['', '全部'], ['open', '督办中'], ['overdue', '已超期'], ['reported', '已报告'], ['closed', '已办结']], state,
            ev => { const p = new URLSearchParams(); if (ev.target.value) p.set('state', ev.target.value); setHash('supervision', p); })));
    const cards = h('div.cards', null,
        card('督办案件', 'sup-total'), card('督办中', 'sup-open'), card('已超期', 'sup-overdue', 'red'),
        card('已报告', 'sup-reported'), card('已办结', 'sup-closed', 'green'));
    const t = table('supervision', ['督办编号', '状态', '事由', '督办机关', '被督办节点', '被督办部门', '立案时间', '报告期限', ['剩余', null], ['延期', 'n'], '报告时间', '办结时间', '关联预警报警']);
    t.table.id = 'supervision-table';
    const panel = section('督查督办案件', filters);
    panel.appendChild(h('div.table-wrap', null, t.table));
    main.append(cards, panel);

    async function load() {
        const url = '/api/v1/supervision' + (state ? '?state=' + encodeURIComponent(state) : '');
        const [r] = await Promise.all([api(url), ensureNodes().catch(() => null)]);
        document.body.dataset.api = url;
        const cases = Array.isArray(r.cases) ? r.cases : [];
        const count = s => cases.filter(c => c.state === s).length;
        setText('#sup-total', num(cases.length));
        setText('#sup-open', num(count('open')));
        setText('#sup-overdue', num(count('overdue')));
        setText('#sup-reported', num(count('reported')));
        setText('#sup-closed', num(count('closed')));
        if (!cases.length) { emptyRow(t.tbody, 13, state ? '没有该状态的督办案件' : '没有督办案件'); return; }
        t.tbody.replaceChildren(...cases.map(c => h('tr', {
            'data-supervision-id': c.supervision, 'data-state': c.state,
            class: (has(c.alert) ? 'clickable ' : '') + 'sup-row-' + (c.state || ''),
            onclick: has(c.alert) ? () => { location.hash = '#/alert/' + encodeURIComponent(c.alert); } : null
        },
        h('td.nowrap', null, h('b', null, has(c.supervision) ? String(c.supervision) : DASH)),
        h('td.nowrap', null, h('span', { class: 'state sup-' + (c.state || '') }, has(c.state) ? (SUP_STATES[c.state] || String(c.state)) : DASH)),
        h('td.subject', null, has(c.subject) ? String(c.subject) : DASH),
        h('td', null, nodeCell(c.office, c.office_name)),
        h('td', null, nodeCell(c.target_node, c.target_node_name)),
        h('td', null, has(c.dept_name) ? String(c.dept_name) : has(c.target_dept) ? String(c.target_dept) : DASH),
        h('td.nowrap', null, timeEl(c.opened_at)),
        h('td.nowrap', null, timeEl(c.due, true)),
        h('td.nowrap', null, c.state === 'open' || c.state === 'overdue' ? wdLeft(c.wd_left) : h('span.muted', null, DASH)),
        h('td.n', null, has(c.extended_wd) && c.extended_wd > 0 ? h('span.ext', { title: '已批准延期（最多 10 个工作日）' }, '+' + c.extended_wd + ' 工作日') : h('span.muted', null, '无')),
        h('td.nowrap', null, timeEl(c.reported_at)),
        h('td.nowrap', null, timeEl(c.closed_at)),
        h('td.nowrap', null, has(c.alert) ? h('a', { href: '#/alert/' + encodeURIComponent(c.alert) }, String(c.alert)) : h('span.muted', null, DASH)))));
    }
    return { load };
};

/* ================================================================ #/patrols 巡查 */

PAGES.patrols = function (main, _arg, params) {
    const period = /^\d{4}-\d\d$/.test(params.get('period') || '') ? params.get('period') : '';
    const picker = monthPicker('patrol-period', period, m => { const p = new URLSearchParams(); if (m) p.set('period', m); setHash('patrols', p); });
    const cards = h('div.cards', null,
        card('巡查办公室', 'patrol-offices'), card('本月巡查次数', 'patrol-count'),
        card('巡查不足天数', 'patrol-short', 'yellow', '各办公室合计'), card('全部达标的办公室', 'patrol-ok', 'green'));
    const t = table('patrols', ['监察办公室', '层级', ['工作日', 'n'], ['巡查次数', 'n'], ['巡查不足天数', 'n'], '达标率', '最近一次巡查']);
    t.table.id = 'patrol-table';
    const panel = section('日常巡查（按月）', h('form.filters.inline', { onsubmit: ev => ev.preventDefault() }, field('月份', picker)));
    panel.append(h('div.table-wrap', null, t.table),
        h('p.hint', null, '达标率 =（工作日 − 巡查不足天数）÷ 工作日。巡查不足：该工作日巡查少于本级要求（第十一条第二款）。'));
    main.append(cards, panel);

    async function load() {
        const url = '/api/v1/patrols' + (period ? '?period=' + encodeURIComponent(period) : '');
        const r = await api(url);
        document.body.dataset.api = url;
        if (has(r.period)) picker.fill(String(r.period));
        const offices = Array.isArray(r.offices) ? r.offices : [];
        const sum = k => offices.reduce((a, o) => a + (typeof o[k] === 'number' ? o[k] : 0), 0);
        setText('#patrol-offices', num(offices.length));
        setText('#patrol-count', num(sum('patrols')));
        setText('#patrol-short', num(sum('short_days')));
        setText('#patrol-ok', num(offices.filter(o => o.short_days === 0).length));
        if (!offices.length) { emptyRow(t.tbody, 7, '该月没有巡查数据'); return; }
        t.tbody.replaceChildren(...offices.map(o => {
            const wd = typeof o.workdays === 'number' ? o.workdays : null;
            const short = typeof o.short_days === 'number' ? o.short_days : null;
            const rate = wd && short !== null ? Math.max(0, wd - short) / wd : null;
            const depth = typeof o.depth === 'number' ? o.depth : 0;
            return h('tr', { 'data-office': o.node, class: short ? 'row-short' : null },
                h('td.node-cell', null, h('span', { class: 'indent d' + Math.min(depth, 3) }), h('b', null, nodeName(o.node, o.name)), h('span.code', null, o.node)),
                h('td', null, DEPTH_NAMES[Math.min(depth, 3)]),
                h('td.n', null, num(o.workdays)),
                h('td.n', null, num(o.patrols)),
                h('td.n', null, h('span', { class: short ? 'num-yellow big' : 'num-zero' }, num(o.short_days))),
                h('td', null, rate === null ? h('span.muted', null, DASH) : meter(rate)),
                h('td.nowrap', null, timeEl(o.last_patrol)));
        }));
    }
    return { load };
};

/* A month picker in Chinese that does not depend on the browser's locale: ‹ select › */
function monthPicker(id, value, onChange) {
    const sel = h('select', { id: id, name: id, onchange: () => onChange(sel.value) });
    if (value) sel.appendChild(h('option', { value: value, selected: true }, fmtMonth(value)));
    const step = n => { const m = addMonths(sel.value, n); if (m) onChange(m); };
    const wrap = h('span.month-picker', null,
        h('button.btn.btn-icon', { type: 'button', title: '上一月', onclick: () => step(-1) }, '‹'), sel,
        h('button.btn.btn-icon', { type: 'button', title: '下一月', onclick: () => step(1) }, '›'));
    wrap.fill = (period) => {
        const last = monthOf(S.me && S.me.now) || period;
        let months = [];
        for (let i = 0; i < 36; i++) months.push(addMonths(last, -i));
        if (period && months.indexOf(period) < 0) months.push(period);
        months = months.filter(Boolean).sort().reverse();
        sel.replaceChildren(...months.map(m => h('option', { value: m, selected: m === period }, fmtMonth(m))));
        sel.value = period;
    };
    wrap.select = sel;
    return wrap;
}

function meter(rate) {
    const cls = rate >= 0.999 ? 'ok' : rate >= 0.8 ? 'warn' : 'bad';
    const bar = h('span.meter-fill.' + cls);
    bar.style.width = Math.round(Math.max(0, Math.min(1, rate)) * 100) + '%';
    return h('span.meter', { title: pct(rate) }, h('span.meter-track', null, bar), h('span.meter-text', null, pct(rate)));
}

/* ================================================================ #/scores 绩效 */

PAGES.scores = function (main, _arg, params) {
    const period = /^\d{4}-\d\d$/.test(params.get('period') || '') ? params.get('period') : '';
    /* a department's operator scores their department: by node they would see nothing */
    const byDefault = S.me && S.me.role === 'department' ? 'dept' : 'node';
    const by = BY_NAMES[params.get('by')] ? params.get('by') : byDefault;
    const go = (p, b) => { const q = new URLSearchParams(); if (p) q.set('period', p); if (b && b !== byDefault) q.set('by', b); setHash('scores', q); };
    const picker = monthPicker('score-period', period, m => go(m, by));
    const bySel = h('div.segmented', { id: 'score-by', role: 'group' }, Object.keys(BY_NAMES).map(k =>
        h('button', { type: 'button', 'data-by': k, class: k === by ? 'active' : null, 'aria-pressed': k === by ? 'true' : 'false', onclick: () => go(picker.select.value, k) }, '按' + BY_NAMES[k])));
    const t = table('scores', [['排名', 'n'], BY_NAMES[by], ['得分', 'n'], '等级', ['案件', 'n'], ['办结', 'n'], ['按时办结', 'n'], ['按时办结率', 'n'],
        ['红灯', 'n'], ['黄灯', 'n'], ['评价', 'n'], ['满意', 'n'], ['满意率', 'n'], ['应答复', 'n'], ['按时答复', 'n'], ['答复及时率', 'n'], ['升级', 'n'], ['投诉', 'n']]);
    t.table.id = 'score-table';
    const panel = section('绩效评估排名', h('form.filters.inline', { onsubmit: ev => ev.preventDefault() }, field('月份', picker), field('维度', bySel)));
    panel.append(h('div.table-wrap', null, t.table),
        h('p.hint', null, '得分 = 100 ×（0.35 按时办结率 + 0.25（1 − 红灯／案件）+ 0.10（1 − 黄灯／案件）+ 0.15 满意率 + 0.15 答复及时率）；无分母的比率按 1 计。等级：≥ 90 优秀，≥ 75 良好，≥ 60 合格，其余不合格。'));
    main.append(panel);

    async function load() {
        const q = new URLSearchParams();
        if (period) q.set('period', period);
        q.set('by', by);
        const url = '/api/v1/scores?' + q.toString();
        const r = await api(url);
        document.body.dataset.api = url;
        if (has(r.period)) picker.fill(String(r.period));
        const rows = Array.isArray(r.rows) ? r.rows : [];
        if (!rows.length) { emptyRow(t.tbody, 18, '该月没有绩效数据'); return; }
        t.tbody.replaceChildren(...rows.map(x => {
            const g = has(x.grade) ? String(x.grade) : '';
            const gradeText = GRADES[g] || g || DASH;
            const gcls = { '优秀': 'a', '良好': 'b', '合格': 'c', '不合格': 'd' }[gradeText] || 'x';
            const name = has(x.name) ? String(x.name) : has(x.key) ? String(x.key) : DASH;
            return h('tr', { 'data-score-key': x.key, 'data-rank': x.rank },
                h('td.n.rank', null, h('span', { class: 'rank-badge r' + (x.rank <= 3 ? x.rank : 'n') }, has(x.rank) ? String(x.rank) : DASH)),
                h('td', null, h('b', null, name), has(x.key) && String(x.key) !== name ? h('span.code', null, String(x.key)) : null),
                h('td.n.score', null, typeof x.score === 'number' ? x.score.toFixed(1) : DASH),
                h('td', null, h('span.grade.g-' + gcls, { title: g }, gradeText)),
                h('td.n', null, num(x.cases)), h('td.n', null, num(x.concluded)), h('td.n', null, num(x.on_time)),
                h('td.n.rate', null, pct(x.on_time_rate)),
                h('td.n', null, h('span', { class: x.red > 0 ? 'num-red' : 'num-zero' }, num(x.red))),
                h('td.n', null, h('span', { class: x.yellow > 0 ? 'num-yellow' : 'num-zero' }, num(x.yellow))),
                h('td.n', null, num(x.ratings)), h('td.n', null, num(x.ratings_good)),
                h('td.n.rate', null, pct(x.satisfaction_rate)),
                h('td.n', null, num(x.response_due)), h('td.n', null, num(x.responded_in_time)),
                h('td.n.rate', null, pct(x.response_rate)),
                h('td.n', null, num(x.escalated)), h('td.n', null, num(x.complaints)));
        }));
    }
    return { load };
};

/* ================================================================ #/trends 趋势 */

PAGES.trends = function (main, _arg, params) {
    const months = [6, 12, 24].indexOf(Number(params.get('months'))) >= 0 ? Number(params.get('months')) : 12;
    const sel = select('trend-months', [['6', '近 6 个月'], ['12', '近 12 个月'], ['24', '近 24 个月']], String(months),
        ev => { const p = new URLSearchParams(); if (ev.target.value !== '12') p.set('months', ev.target.value); setHash('trends', p); });
    const redEl = h('div#chart-red.chart'), yellowEl = h('div#chart-yellow.chart'), volEl = h('div#chart-volume.chart');
    const p1 = section('红灯报警（按规则，逐月）', h('form.filters.inline', { onsubmit: ev => ev.preventDefault() }, field('时段', sel)));
    p1.appendChild(redEl);
    const p2 = section('黄灯预警（按规则，逐月）'); p2.appendChild(yellowEl);
    const p3 = section('办件量（按权力类别，逐月）'); p3.appendChild(volEl);
    const t = table('trend-rules', ['规则', ['红灯合计', 'n'], ['黄灯合计', 'n'], ['最近一月红灯', 'n'], ['最近一月黄灯', 'n']]);
    t.table.id = 'trend-rules';
    const p4 = section('各规则灯数合计'); p4.appendChild(h('div.table-wrap', null, t.table));
    main.append(p1, h('div.two-col', null, p2, p3), p4);

    let charts = [null, null, null];
    const unresize = chartsResizer(() => charts);

    async function load() {
        const url = '/api/v1/trends?months=' + months;
        const r = await api(url);
        document.body.dataset.api = url;
        const ms = Array.isArray(r.months) ? r.months.map(String) : [];
        const lights = Array.isArray(r.lights) ? r.lights : [];
        const vols = Array.isArray(r.volumes) ? r.volumes : [];
        main.dataset.months = String(ms.length);
        const sumArr = a => (Array.isArray(a) ? a : []).reduce((s, v) => s + (typeof v === 'number' ? v : 0), 0);
        const last = a => Array.isArray(a) && a.length ? a[a.length - 1] : null;
        if (!lights.length) emptyRow(t.tbody, 5, '该时段没有灯');
        else t.tbody.replaceChildren(...lights.slice().sort((a, b) => sumArr(b.red) * 1000 + sumArr(b.yellow) - sumArr(a.red) * 1000 - sumArr(a.yellow)).map(l =>
            h('tr', { 'data-rule': l.rule },
                h('td', null, h('b', null, ruleName(l.rule, l.rule_name)), h('span.code', null, l.rule || '')),
                h('td.n', null, h('span', { class: sumArr(l.red) ? 'num-red' : 'num-zero' }, num(sumArr(l.red)))),
                h('td.n', null, h('span', { class: sumArr(l.yellow) ? 'num-yellow' : 'num-zero' }, num(sumArr(l.yellow)))),
                h('td.n', null, num(last(l.red))), h('td.n', null, num(last(l.yellow))))));

        if (!chartsReady()) { makeChart(redEl); makeChart(yellowEl); makeChart(volEl); return; }
        for (let i = 0; i < 3; i++) if (!charts[i]) charts[i] = makeChart([redEl, yellowEl, volEl][i]);
        const palette = ['#1d5fae', '#e4572e', '#2e9b5f', '#8e44ad', '#17a2b8', '#b8860b', '#c2185b', '#5d6d7e',
            '#76b041', '#ff8c42', '#3949ab', '#8d6e63', '#00897b', '#d4a017', '#6a1b9a', '#455a64'];
        const ruleColor = {};
        lights.map(l => l.rule).forEach((r, i) => { ruleColor[r] = palette[i % palette.length]; });
        /* Room under the plot for a legend that wraps: its rows from the names' widths. */
        const legendRoom = (names, el) => {
            const w = Math.max(200, (el.clientWidth || 600) - 40);
            /* a CJK glyph is about 14 px at 12 px type; an item adds its icon and gap */
            const need = names.reduce((a, n) => a + String(n).length * 14 + 48, 0);
            return 38 + Math.ceil(need / w) * 26;
        };
        const stackOpt = (key, yname, el) => {
            const used = lights.filter(l => sumArr(l[key]) > 0);
            const total = ms.map((_, i) => used.reduce((s, l) => s + ((l[key] || [])[i] || 0), 0));
            return {
                textStyle: { fontFamily: FONT }, animation: false,
                tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
                legend: { type: 'plain', bottom: 0, left: 'center', itemGap: 12, textStyle: { fontSize: 12 } },
                grid: { left: 48, right: 20, top: 28, bottom: legendRoom(used.map(l => ruleName(l.rule, l.rule_name)).concat(['合计']), el) },
                xAxis: { type: 'category', data: ms, axisLabel: { fontSize: 12 } },
                yAxis: { type: 'value', name: yname, minInterval: 1, nameTextStyle: { fontSize: 12 } },
                series: used.map(l => ({ name: ruleName(l.rule, l.rule_name), type: 'bar', stack: key, barMaxWidth: 36, emphasis: { focus: 'series' },
                    itemStyle: { color: ruleColor[l.rule] },
                    data: ms.map((_, i) => (l[key] || [])[i] || 0) })).concat([{
                    name: '合计', type: 'line', data: total, symbol: 'circle', symbolSize: 6, z: 10,
                    lineStyle: { color: COLORS.ink, width: 2 }, itemStyle: { color: COLORS.ink },
                    label: { show: true, position: 'top', fontSize: 11, color: COLORS.ink, formatter: p => p.value ? String(p.value) : '' } }])
            };
        };
        charts[0].setOption(stackOpt('red', '红灯（条）', redEl), true);
        charts[1].setOption(stackOpt('yellow', '黄灯（条）', yellowEl), true);
        const CATS = { licensing: '行政许可', penalty: '行政处罚', levy: '行政征收', enforcement: '行政强制', confirmation: '行政确认', adjudication: '行政裁决', payment: '行政给付', other: '其他' };
        charts[2].setOption({
            textStyle: { fontFamily: FONT }, animation: false,
            color: ['#1d5fae', '#2e9b5f', '#e08a1e', '#8e44ad', '#17a2b8', '#c0392b', '#6c757d', '#b8860b'],
            tooltip: { trigger: 'axis', confine: true },
            legend: { type: 'plain', bottom: 0, left: 'center', itemGap: 12 },
            grid: { left: 56, right: 20, top: 28, bottom: legendRoom(vols.map(v => v.category_name || v.category || ''), volEl) },
            xAxis: { type: 'category', data: ms },
            yAxis: { type: 'value', name: '案件（件）', minInterval: 1 },
            /* stacked bars: each category's own share reads as its height, not as a line at the total */
            series: vols.map(v => ({ name: has(v.category_name) ? v.category_name : (CATS[v.category] || v.category), type: 'bar', stack: 'cases', barMaxWidth: 36,
                emphasis: { focus: 'series' }, data: ms.map((_, i) => (v.cases || [])[i] || 0) }))
        }, true);
        for (const [el, n] of [[redEl, lights.length], [yellowEl, lights.length], [volEl, vols.length]]) { el.dataset.months = String(ms.length); el.dataset.series = String(n); }
    }
    return { load, dispose() { unresize(); for (const c of charts) if (c) c.dispose(); charts = []; } };
};

/* ---------------------------------------------------------------- start */

async function signout() {
    $('#signout').disabled = true;
    try { await fetch('/api/v1/signout', { method: 'POST', credentials: 'same-origin', cache: 'no-store' }); } catch (e) { /* go anyway */ }
    S.leaving = true;
    if (S.es) S.es.close();
    stopPolling();
    location.replace('/');
}

function start() {
    $('#message-close').addEventListener('click', clearError);
    $('#signout').addEventListener('click', signout);
    window.addEventListener('hashchange', show);
    refreshCounts().catch(() => { /* the page load shows the error */ });
    /* who is signed in first: a page's defaults may depend on it (a department's scores) */
    loadMe().catch(showError).then(show);
    startStream();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

})();
