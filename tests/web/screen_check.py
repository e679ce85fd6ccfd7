#!/usr/bin/env python3
"""Checks the centre's screen (jiancha-web) in headless Chromium, the way a supervisor uses it.

    python3 tests/web/screen_check.py --signin URL --base URL --out DIR \
        [--raise-cmd 'SHELL COMMAND'] [--expect-alert ID]

--signin  a fresh one-use sign-in link (`jiancha web login --url BASE ...`)
--base    the screen's address (http://127.0.0.1:8480/)
--out     where the full-page screenshots go (one PNG per page)
--raise-cmd    a command that raises a new red light at the node: the open alerts page must
               show it without a reload within 10 s
--expect-alert an alert id whose ledger and case events must show on #/alert/ID

Checks, one line each: (a) without a session BASE shows the sign-in page and the API answers 401;
(b) the link signs in and lands on the overview naming the operator; (c) every route renders
and agrees with the API read from inside the browser; (d) the expected alert; (e) the live
update; (f) the link used a second time gives no session. Exit 0 when every check passed, 1 when
one failed (the last line names them), 2 on bad arguments. Needs python3-selenium, chromium and
chromium-driver (Debian). No assertion depends on today's date.
"""
import os
import sys

# Debian's python3-selenium lives in /usr/bin/python3's path; a pyenv or venv python3 first in
# PATH does not see it, so run again under the system interpreter.
try:
    import selenium  # noqa: F401
except ImportError:
    if os.environ.get('SCREEN_CHECK_REEXEC') != '1' and os.path.exists('/usr/bin/python3') \
            and os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3'):
        os.environ['SCREEN_CHECK_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    print('FAIL setup: selenium is missing (apt-get install -y chromium-driver python3-selenium)')
    sys.exit(1)

import argparse
import shutil
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import JavascriptException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

ROUTES = ['overview', 'alerts', 'supervision', 'patrols', 'scores', 'trends']
RENDER_TIMEOUT = 20
LIVE_TIMEOUT = 10.0

FETCH_JS = """
const url = arguments[0], done = arguments[arguments.length - 1];
fetch(url, {credentials: 'same-origin', cache: 'no-store', headers: {Accept: 'application/json'}})
  .then(async r => { let body = null; try { body = await r.json(); } catch (e) {} done({status: r.status, body: body}); })
  .catch(e => done({status: 0, error: String(e)}));
"""


class CheckFailed(Exception):
    pass


class Abort(CheckFailed):
    """A failure seen while waiting: no point in waiting longer."""


class Checks:
    def __init__(self):
        self.passed = []
        self.failed = []

    def run(self, name, fn, fatal=False):
        t0 = time.time()
        try:
            detail = fn()
        except CheckFailed as e:
            self.failed.append(name)
            print(f'FAIL {name}: {e}', flush=True)
            if fatal:
                raise
            return False
        except (WebDriverException, JavascriptException) as e:
            self.failed.append(name)
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f'FAIL {name}: browser error: {msg}', flush=True)
            if fatal:
                raise CheckFailed(msg)
            return False
        self.passed.append(name)
        print(f'ok   {name}: {detail or "passed"} ({time.time() - t0:.1f} s)', flush=True)
        return True


def need(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def start_browser(profile):
    opts = webdriver.ChromeOptions()
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
              '--window-size=1440,900', '--lang=zh-CN', '--hide-scrollbars', '--force-device-scale-factor=1',
              '--no-first-run', '--no-default-browser-check', '--disable-extensions',
              f'--user-data-dir={profile}'):
        opts.add_argument(a)
    for b in ('/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'):
        if os.path.exists(b):
            opts.binary_location = b
            break
    opts.add_experimental_option('prefs', {'intl.accept_languages': 'zh-CN,zh'})
    driver_path = shutil.which('chromedriver') or '/usr/bin/chromedriver'
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    drv.set_script_timeout(30)
    drv.set_page_load_timeout(30)
    return drv


class Screen:
    def __init__(self, drv, base, out):
        self.drv = drv
        self.base = base if base.endswith('/') else base + '/'
        self.out = out

    # -- browser helpers
    def js(self, script, *a):
        return self.drv.execute_script(script, *a)

    def fetch(self, url):
        r = self.drv.execute_async_script(FETCH_JS, url)
        need(isinstance(r, dict), f'fetch {url} gave nothing')
        return r

    def fetch_ok(self, url):
        r = self.fetch(url)
        need(r.get('status') == 200 and isinstance(r.get('body'), dict),
             f'API {url} answered {r.get("status")} {r.get("body") or r.get("error") or ""}')
        return r['body']

    def wait(self, cond, timeout, what):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            try:
                v = cond()
                if v:
                    return v
            except Abort:
                raise
            except (WebDriverException, JavascriptException, CheckFailed) as e:
                last = e
            time.sleep(0.2)
        extra = f' (last error: {str(last).splitlines()[0] if str(last) else type(last).__name__})' if last else ''
        raise CheckFailed(f'timed out after {timeout:.0f} s waiting for {what}{extra}')

    def body_attr(self, name):
        return self.js('return document.body ? document.body.getAttribute(arguments[0]) : null;', name)

    def message_bar(self):
        return self.js("const b = document.getElementById('message-bar'), t = document.getElementById('message-text');"
                       "return b && t && !b.hidden ? t.textContent.trim() : '';")

    def wait_route(self, route):
        def ok():
            r = self.body_attr('data-route')
            if r == route:
                return True
            if self.body_attr('data-route-error') == route:
                raise Abort(f'#/{route} failed to load: {self.message_bar() or "no message"}')
            return False
        try:
            self.wait(ok, RENDER_TIMEOUT, f'body[data-route="{route}"]')
        except Abort:
            raise
        except CheckFailed as e:
            bar = self.message_bar()
            raise CheckFailed(f'{e}{"; message bar: " + bar if bar else ""}')

    def go(self, route, nav=True):
        """Opens a route: through its nav link when it has one, else through the hash."""
        target = route if route.startswith('#/') else f'#/{route}'
        name = target.split('/')[1]
        cur = self.js('return location.hash;')
        if cur == target or (target == '#/overview' and cur in ('', '#', '#/')):
            self.wait_route(name)          # already there
            return
        self.js("document.body.removeAttribute('data-route');")
        links = self.drv.find_elements(By.CSS_SELECTOR, f'#nav a[data-route="{name}"]') if nav else []
        if links:
            links[0].click()
        else:
            self.js('location.hash = arguments[0];', target)
        self.wait_route(name)

    def count(self, css):
        return len(self.drv.find_elements(By.CSS_SELECTOR, css))

    def text(self, css):
        els = self.drv.find_elements(By.CSS_SELECTOR, css)
        return els[0].text.strip() if els else None

    def int_text(self, css):
        t = self.text(css)
        if t is None:
            raise CheckFailed(f'{css} is not on the page')
        digits = t.replace(',', '').replace('，', '').strip()
        if not digits.lstrip('-').isdigit():
            raise CheckFailed(f'{css} shows "{t}", not a number')
        return int(digits)

    def settle(self, check, what, timeout=8):
        """The page and the API can differ for a moment while a live update is in flight."""
        last = [None]

        def once():
            try:
                return check()
            except CheckFailed as e:
                last[0] = e
                return False
        end = time.time() + timeout
        while time.time() < end:
            v = once()
            if v:
                return v
            time.sleep(0.4)
        raise last[0] or CheckFailed(f'{what} never agreed with the API')

    def shot(self, name):
        path = os.path.join(self.out, name + '.png')
        try:
            foot = self.drv.find_elements(By.TAG_NAME, 'footer')
            if foot:   # no hover left on a tab or a row in the picture
                ActionChains(self.drv).move_to_element(foot[0]).perform()
            self.drv.set_window_size(1440, 900)
            h = int(self.js('return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);') or 900)
            self.drv.set_window_size(1440, max(900, min(h, 16000)))
            time.sleep(0.4)  # charts follow the resize
            h2 = int(self.js('return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);') or h)
            if h2 > h:
                self.drv.set_window_size(1440, max(900, min(h2, 16000)))
                time.sleep(0.3)
            self.js('window.scrollTo(0, 0);')
            need(self.drv.save_screenshot(path), f'could not save {path}')
        finally:
            self.drv.set_window_size(1440, 900)
        return path

    def on_signin_page(self):
        return bool(self.js("return !!document.querySelector('body[data-page=\"signin\"], body#signin');"))

    def header_counts_match(self):
        api = self.fetch_ok('/api/v1/alerts?state=standing&limit=1')
        red, yellow = self.int_text('#count-red'), self.int_text('#count-yellow')
        need((red, yellow) == (api.get('red'), api.get('yellow')),
             f'header shows red {red} yellow {yellow}, API standing alerts say red {api.get("red")} yellow {api.get("yellow")}')
        return red, yellow


# ------------------------------------------------------------------ the checks

def check_unsigned(sc):
    sc.drv.delete_all_cookies()
    sc.drv.get(sc.base)
    sc.wait(lambda: sc.js('return document.readyState') == 'complete', 15, 'the page to load')
    need(sc.on_signin_page(), f'{sc.base} without a session did not show the sign-in page (title "{sc.drv.title}")')
    need(sc.count('#count-red, #main, body[data-route]') == 0, 'the sign-in page shows the screen or data')
    need(sc.count('script[src]') == 0, 'the sign-in page loads scripts')
    page = sc.drv.find_element(By.TAG_NAME, 'body').text
    need('jiancha web login' in page, 'the sign-in page does not say how to make a sign-in link')
    r = sc.fetch('/api/v1/me')
    need(r.get('status') == 401, f'/api/v1/me without a session answered {r.get("status")}, not 401')
    sc.shot('00-signin')
    return 'sign-in page shown, /api/v1/me is 401'


def check_signin(sc, url):
    sc.drv.get(url)
    try:
        sc.wait_route('overview')
    except CheckFailed as e:
        if sc.on_signin_page():
            raise CheckFailed(f'the sign-in link was refused: the sign-in page is shown at {sc.drv.current_url}')
        raise CheckFailed(f'{e} (at {sc.drv.current_url}, title "{sc.drv.title}")')
    h = sc.js('return location.hash;')
    need(h in ('', '#', '#/', '#/overview') or h.startswith('#/overview'), f'landed on {h or "/"}, not the overview')
    me = sc.fetch_ok('/api/v1/me')
    op = me.get('operator')
    need(op, '/api/v1/me names no operator')
    sc.wait(lambda: sc.text('#me-operator') == op, 10, f'#me-operator to show {op}')
    return f'overview shown for operator {op} at {me.get("node_name") or me.get("node")}'


def check_route(sc, route, state):
    sc.go(route)
    api_url = sc.body_attr('data-api')
    need(api_url and api_url.startswith('/api/v1/'), f'#/{route} names no API URL in body[data-api]')
    bar = sc.message_bar()
    need(not bar, f'#/{route} shows an error: {bar}')
    notes = []

    def agree():
        data = sc.fetch_ok(api_url)
        if route == 'overview':
            nodes = data.get('nodes') or []
            need(api_url.startswith('/api/v1/nodes'), f'overview reads {api_url}')
            shown = sc.js("return Array.from(document.querySelectorAll('#node-table tr[data-node]')).map(r => r.dataset.node);")
            need(shown == [n.get('node') for n in nodes],
                 f'node table lists {len(shown)} nodes, API {len(nodes)} (or another order)')
            if sc.js('return !!window.echarts;'):
                need(sc.count('#node-map canvas') > 0, 'the node map is not drawn')
            st = sc.fetch_ok('/api/v1/alerts?state=standing&limit=1')
            need(sc.int_text('#overview-red') == st.get('red') and sc.int_text('#overview-yellow') == st.get('yellow'),
                 f'overview cards red {sc.text("#overview-red")} yellow {sc.text("#overview-yellow")}, '
                 f'API red {st.get("red")} yellow {st.get("yellow")}')
            return f'{len(nodes)} nodes, red {st.get("red")} yellow {st.get("yellow")}'
        if route == 'alerts':
            need(api_url.startswith('/api/v1/alerts'), f'alerts reads {api_url}')
            alerts = data.get('alerts') or []
            ids = sc.js("return Array.from(document.querySelectorAll('#alert-table tr[data-alert-id]')).map(r => r.dataset.alertId);")
            need(ids == [a.get('id') for a in alerts], f'{len(ids)} alert rows, API {len(alerts)} (or another order)')
            need(sc.int_text('#alerts-total') == data.get('total'), f'total shown {sc.text("#alerts-total")}, API {data.get("total")}')
            need(sc.int_text('#alerts-red') == data.get('red'), f'red shown {sc.text("#alerts-red")}, API {data.get("red")}')
            need(sc.int_text('#alerts-yellow') == data.get('yellow'), f'yellow shown {sc.text("#alerts-yellow")}, API {data.get("yellow")}')
            if alerts:
                state['first_alert'] = alerts[0].get('id')
                row = sc.drv.find_element(By.CSS_SELECTOR, f'tr[data-alert-id="{alerts[0]["id"]}"]').text
                want = {'red': '红灯报警', 'yellow': '黄灯预警'}.get(alerts[0].get('light'))
                need(not want or want in row, f'first row does not say {want}')
                # the page shows the API's own words for where the alert stands (a platform alarm
                # stands as 待消除, not 待答复), else the state's name
                zh = alerts[0].get('handling') or {'open': '待答复', 'responded': '已答复', 'closed': '已摘牌', 'cleared': '已消除'}.get(alerts[0].get('state'))
                need(not zh or zh in row, f'first row does not say {zh}')
            return f'{len(alerts)} rows of {data.get("total")}, red {data.get("red")} yellow {data.get("yellow")}'
        if route == 'supervision':
            cases = data.get('cases') or []
            ids = sc.js("return Array.from(document.querySelectorAll('#supervision-table tr[data-supervision-id]')).map(r => r.dataset.supervisionId);")
            need(ids == [c.get('supervision') for c in cases], f'{len(ids)} supervision rows, API {len(cases)}')
            return f'{len(cases)} cases'
        if route == 'patrols':
            offices = data.get('offices') or []
            ids = sc.js("return Array.from(document.querySelectorAll('#patrol-table tr[data-office]')).map(r => r.dataset.office);")
            need(ids == [o.get('node') for o in offices], f'{len(ids)} office rows, API {len(offices)}')
            need(sc.js("return document.getElementById('patrol-period').value;") == data.get('period'),
                 f'month picker is not on {data.get("period")}')
            return f'{len(offices)} offices for {data.get("period")}'
        if route == 'scores':
            rows = data.get('rows') or []
            keys = sc.js("return Array.from(document.querySelectorAll('#score-table tr[data-score-key]')).map(r => r.dataset.scoreKey);")
            need(len(keys) == len(rows), f'{len(keys)} score rows, API {len(rows)}')
            if rows:
                need(keys[0] == str(rows[0].get('key')), f'first score row is {keys[0]}, API {rows[0].get("key")}')
            return f'{len(rows)} rows by {data.get("by")}, first {rows[0].get("key") if rows else "none"}'
        if route == 'trends':
            months = data.get('months') or []
            need(sc.js("return document.getElementById('main').dataset.months;") == str(len(months)),
                 f'trends page does not show {len(months)} months')
            rules = sc.js("return Array.from(document.querySelectorAll('#trend-rules tr[data-rule]')).map(r => r.dataset.rule);")
            need(sorted(rules) == sorted(l.get('rule') for l in data.get('lights') or []), 'rule table differs from the API')
            if sc.js('return !!window.echarts;'):
                need(sc.count('#chart-red canvas') and sc.count('#chart-volume canvas'), 'trend charts are not drawn')
            return f'{len(months)} months, {len(rules)} rules'
        return 'shown'
    notes.append(sc.settle(agree, f'#/{route}'))
    red, yellow = sc.settle(sc.header_counts_match, 'header counts')
    path = sc.shot(f'{ROUTES.index(route) + 1:02d}-{route}')
    return f'{notes[0]}; header red {red} yellow {yellow}; {os.path.basename(path)}'


def check_alert(sc, alert_id, require_case, shot_name):
    sc.go(f'#/alert/{alert_id}', nav=False)
    data = sc.fetch_ok(f'/api/v1/alerts/{alert_id}')
    a = data.get('alert') or {}
    need(sc.js("const d = document.getElementById('alert-detail'); return d ? d.dataset.alertId : null;") == alert_id,
         f'#alert-detail does not show {alert_id}')
    ledger = a.get('ledger') or []
    shown = sc.count('#ledger li[data-action]')
    need(shown == len(ledger), f'ledger shows {shown} entries, API {len(ledger)}')
    events = data.get('events') or []
    seqs = sc.js("return Array.from(document.querySelectorAll('#case-events tr[data-seq]')).map(r => r.dataset.seq);")
    need(seqs == [str(e.get('seq')) for e in events], f'case events show {len(seqs)} records, API {len(events)} (or another order)')
    if require_case:
        need(ledger, f'{alert_id} has no ledger')
        need(events, f'{alert_id} shows no case events (case {a.get("case")})')
    sc.shot(shot_name)
    return f'ledger entries {len(ledger)}, case events {len(events)}, case {a.get("case") or "none"}'


def check_live(sc, cmd):
    sc.go('alerts')
    sc.js('window.__screenCheckNoReload = 1;')
    before_hdr = sc.int_text('#count-red')
    before_page = sc.int_text('#alerts-red')
    t0 = time.time()
    p = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    t1 = time.time()
    need(p.returncode == 0, f'--raise-cmd exited {p.returncode}: {p.stdout.decode(errors="replace").strip()[-300:]}')
    seen = {}

    def risen():
        need(sc.js('return window.__screenCheckNoReload === 1;'), 'the page reloaded')
        now = time.time()
        if 'hdr' not in seen and sc.int_text('#count-red') > before_hdr:
            seen['hdr'] = now
        if 'page' not in seen and sc.int_text('#alerts-red') > before_page:
            seen['page'] = now
        return len(seen) == 2
    try:
        sc.wait(risen, max(0.5, LIVE_TIMEOUT - (time.time() - t1)), 'the red count to go up')
    except CheckFailed as e:
        raise CheckFailed(f'{e}: header red {before_hdr} -> {sc.text("#count-red")}, alerts page red {before_page} -> '
                          f'{sc.text("#alerts-red")} within {LIVE_TIMEOUT:.0f} s (live status "{sc.text("#live-status")}")')
    need(sc.js('return window.__screenCheckNoReload === 1;'), 'the page reloaded')
    after = sc.int_text('#count-red')
    sc.shot('08-live')
    return (f'red {before_hdr} -> {after} without reload, header after {seen["hdr"] - t1:.1f} s, alerts page after '
            f'{seen["page"] - t1:.1f} s from the command\'s end (command took {t1 - t0:.1f} s, live: {sc.text("#live-status")})')


def check_reuse(sc, url):
    sc.drv.delete_all_cookies()
    sc.drv.get('about:blank')
    try:
        sc.drv.get(url)
    except TimeoutException:
        raise CheckFailed('the second use of the link did not answer')
    time.sleep(1.5)
    need(sc.body_attr('data-route') is None, f'the second use of the link shows the screen ({sc.body_attr("data-route")})')
    r = sc.fetch('/api/v1/me')   # from the origin the link answered on
    need(r.get('status') == 401, f'after the second use /api/v1/me answered {r.get("status")}, not 401: the link gave a session')
    what = 'the sign-in page' if sc.on_signin_page() else f'an error page ("{sc.drv.title or sc.drv.find_element(By.TAG_NAME, "body").text[:60]}")'
    sc.shot('09-link-reused')
    return f'no session; the browser shows {what}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--signin', required=True, help='a fresh one-use sign-in URL')
    ap.add_argument('--base', required=True, help="the screen's base URL")
    ap.add_argument('--out', required=True, help='directory for the screenshots')
    ap.add_argument('--raise-cmd', help='shell command raising a new red light at the node')
    ap.add_argument('--expect-alert', help='an alert id whose ledger and case events must be shown')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    checks = Checks()
    profile = tempfile.mkdtemp(prefix='screen-check-')
    drv = None
    try:
        try:
            drv = start_browser(profile)
        except WebDriverException as e:
            print(f'FAIL browser: headless Chromium did not start: {str(e).strip().splitlines()[0]}')
            return 1
        sc = Screen(drv, a.base, a.out)
        state = {}
        checks.run('a-no-session-shows-signin', lambda: check_unsigned(sc))
        try:
            checks.run('b-signin-lands-on-overview', lambda: check_signin(sc, a.signin), fatal=True)
        except CheckFailed:
            print('FAILED: b-signin-lands-on-overview (nothing else can be checked without a session)')
            return 1
        for route in ROUTES:
            checks.run(f'c-route-{route}', lambda r=route: check_route(sc, r, state))
        if state.get('first_alert'):
            checks.run('c-route-alert', lambda: check_alert(sc, state['first_alert'], False, '07-alert'))
        else:
            print('ok   c-route-alert: skipped, the node has no alerts')
        if a.expect_alert:
            checks.run('d-expected-alert', lambda: check_alert(sc, a.expect_alert, True, '07-alert-expected'))
        if a.raise_cmd:
            checks.run('e-live-red-light', lambda: check_live(sc, a.raise_cmd))
        checks.run('f-link-works-once', lambda: check_reuse(sc, a.signin))
    finally:
        if drv:
            try:
                drv.quit()
            except WebDriverException:
                pass
        shutil.rmtree(profile, ignore_errors=True)

    if checks.failed:
        print(f'FAILED: {", ".join(checks.failed)} ({len(checks.passed)} passed)')
        return 1
    print(f'screen_check: all {len(checks.passed)} checks passed; screenshots in {a.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
