#!/usr/bin/env python3
"""scripts/label_checks.py — `rlhf label` end to end, as `make test` runs it.

One labelling database is made with `rlhf label init` from the real SmolLM2 (12 prompts, one of which holds a
<script> element), then copied for each check:

  browser   headless Chromium driven through chromedriver's WebDriver HTTP API (no client library): sign in by
            the link, label five pairs by keyboard and two by mouse, undo one, see the progress go 0 → 7 → 6,
            check the page at phone width (the responses stack), save screenshots, and find exactly those six
            labels in `rlhf label export`; then `rlhf train-rm` and `rlhf dpo` train a step on that export
  access    requests without a valid session or admin token get 401/403, a used sign-in link 403, a POST
            without the X-RLHF header 403, malformed bodies 400 (and the server stays up); in the browser the
            <script> prompt shows as text and does not run
  kill      four raters label while the server is killed with SIGKILL three times and restarted; every
            acknowledged label is in the database once, and nothing else is
  load      20 raters label concurrently for --load-seconds (30) against loopback; no error, no label lost or
            doubled; prints the p50/p99 latency of a label request (BENCHMARKS.md)

Every request goes to 127.0.0.1 only; every loop is bounded in time and count. Screenshots and the figures go
to --artifacts (test-artifacts/label). Prints one line per check and a closing 'N passed, N failed' line.
"""

import argparse
import http.client
import json
import os
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RLHF = os.path.join(ROOT, ".build/release/rlhf")
SMOLLM2 = os.path.join(ROOT, "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
MINILM = os.path.join(ROOT, "models/minilm")
SCRIPT_PROMPT = "<script>window.__pwned = 1</script> What is 2 + 2?"


def run(*args, **kw):
    p = subprocess.run([RLHF, *args], cwd=ROOT, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"rlhf {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    return p.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`rlhf label serve` on a fixed loopback port."""

    def __init__(self, db, port=0, overlap=1, runs=None):
        self.db, self.port, self.overlap, self.runs = db, port, overlap, runs
        self.admin = uuid.uuid4().hex + uuid.uuid4().hex
        self.proc = None

    def start(self):
        args = [RLHF, "label", "serve", "--db", self.db, "--port", str(self.port), "--overlap", str(self.overlap)]
        if self.runs:
            args += ["--runs", self.runs]
        env = dict(os.environ, RLHF_LABEL_ADMIN_TOKEN=self.admin)
        # standard error goes to a file: a pipe nobody reads would stall the server once full
        errors = self.db + ".serve-stderr.log"
        with open(errors, "ab") as err:
            self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.time()))
            if not ready:
                break
            line = self.proc.stdout.readline()
            if not line:
                with open(errors) as f:
                    raise AssertionError(f"serve exited: {f.read()[-800:]}")
            if line.startswith("serving "):
                self.port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
                self.proc.stdout.readline()  # the admin line
                return self
        self.proc.kill()
        raise AssertionError("serve did not start in 30 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"


def request(port, method, path, body=None, headers=None, timeout=30):
    """(status, headers, body text) of one request to 127.0.0.1:port."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, body=data, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def sign_in(port, link):
    """The session cookie of a one-time sign-in link."""
    path = urllib.parse.urlsplit(link)
    status, headers, _ = request(port, "GET", f"{path.path}?{path.query}")
    assert status == 303, f"sign-in answered {status}"
    cookie = headers.get("Set-Cookie", "")
    assert cookie.startswith("rlhf_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
    return cookie.split(";")[0]


def add_synthetic_pairs(db, n):
    """n more pairs with short made-up texts (for the kill and load checks, which need many pairs, not a model)."""
    con = sqlite3.connect(db)
    with con:
        top = con.execute("SELECT COALESCE(MAX(line), 0) FROM prompt").fetchone()[0]
        for i in range(n):
            line = top + 1 + i
            cur = con.execute("INSERT INTO prompt (line, prompt_json, text) VALUES (?, ?, ?)", (line, json.dumps(f"load prompt {i}"), f"load prompt {i}"))
            con.execute(
                "INSERT INTO pair (prompt_id, response_a, response_b, stopped_a, stopped_b, order_key, created_at) VALUES (?, ?, ?, 1, 1, ?, 0)",
                (cur.lastrowid, f"answer A {i}", f"answer B {i}", (i * 2654435761) % 2**31),
            )
    con.close()


def db_labels(db):
    con = sqlite3.connect(db)
    live = con.execute("SELECT request_id FROM label WHERE undone_at IS NULL").fetchall()
    doubled = con.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM label WHERE undone_at IS NULL GROUP BY pair_id, rater_id HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    con.close()
    return [r[0] for r in live], doubled


class Rater(threading.Thread):
    """A simulated rater: next → label, in a loop until `stop` is set (or `max_labels`); a request that gets
    no answer is sent again with the same request id until it is answered (the server may be restarting)."""

    def __init__(self, server, cookie, stop, retry_seconds=0, max_labels=100000):
        super().__init__(daemon=True)
        self.server, self.cookie, self.stop, self.retry_seconds, self.max_labels = server, cookie, stop, retry_seconds, max_labels
        self.acked, self.latencies, self.errors = [], [], []
        self.retried = self.duplicates = 0

    def call(self, method, path, body=None):
        headers = {"Cookie": self.cookie, "X-RLHF": "1", "Content-Type": "application/json"}
        deadline = time.time() + self.retry_seconds
        resent = False
        while True:
            try:
                t0 = time.perf_counter()
                status, _, text = request(self.server.port, method, path, body, headers, timeout=20)
                dt = time.perf_counter() - t0
            except OSError as e:
                if time.time() < deadline:
                    self.retried += not resent
                    resent = True
                    time.sleep(0.05)
                    continue
                raise AssertionError(f"{method} {path}: {e}")
            if status != 200:
                raise AssertionError(f"{method} {path}: HTTP {status} {text[:200]}")
            return json.loads(text), dt

    def run(self):
        try:
            state, _ = self.call("GET", "/api/next")
            k = 0
            while not self.stop.is_set() and state.get("pair") and len(self.acked) < self.max_labels:
                rid = uuid.uuid4().hex
                choice = ["left", "right", "left", "tie", "right", "both_bad"][k % 6]
                state, dt = self.call("POST", "/api/label", {"assignment": state["pair"]["assignment"], "choice": choice, "comment": "", "request_id": rid})
                self.acked.append(rid)
                self.duplicates += bool(state.get("duplicate"))
                self.latencies.append(dt)
                k += 1
        except Exception as e:  # reported by the check
            self.errors.append(str(e))


# ---------------------------------------------------------------- WebDriver (chromedriver's HTTP API)

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class Browser:
    def __init__(self, artifacts):
        self.port = free_port()
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                if request(self.port, "GET", "/status", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError("chromedriver did not start")
            time.sleep(0.2)
        self.profile = tempfile.mkdtemp(prefix="rlhf-chromium-")
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": shutil.which("chromium") or "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900", f"--user-data-dir={self.profile}"],
                    },
                }
            }
        }
        self.session = self.cmd("POST", "/session", caps)["sessionId"]
        self.artifacts = artifacts

    def cmd(self, method, path, body=None):
        status, _, text = request(self.port, method, path, body, {"Content-Type": "application/json"}, timeout=60)
        value = json.loads(text).get("value") if text else None
        if status != 200:
            raise AssertionError(f"WebDriver {method} {path}: {status} {text[:300]}")
        return value

    def s(self, path, method="POST", body=None):
        return self.cmd(method, f"/session/{self.session}{path}", body if body is not None or method == "GET" else {})

    def get(self, url):
        self.s("/url", body={"url": url})

    def find(self, css):
        return self.s("/element", body={"using": "css selector", "value": css})[ELEMENT]

    def text(self, css):
        return self.s(f"/element/{self.find(css)}/text", "GET")

    def click(self, css):
        self.s(f"/element/{self.find(css)}/click")

    def js(self, script, *args):
        return self.s("/execute/sync", body={"script": script, "args": list(args)})

    def key(self, k):
        actions = [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
        self.s("/actions", body={"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})

    def window(self, w, h):
        self.s("/window/rect", body={"width": w, "height": h})

    def screenshot(self, name):
        import base64

        path = os.path.join(self.artifacts, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("/screenshot", "GET")))
        return path

    def wait(self, condition, what, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def close(self):
        try:
            self.cmd("DELETE", f"/session/{self.session}")
        finally:
            self.driver.terminate()
            self.driver.wait(10)
            shutil.rmtree(self.profile, ignore_errors=True)


def browser_pair_texts(db, prompt):
    """The stored responses (A, B) of the pair whose prompt is `prompt`."""
    con = sqlite3.connect(db)
    row = con.execute("SELECT response_a, response_b FROM pair p JOIN prompt q ON q.id = p.prompt_id WHERE q.text = ?", (prompt,)).fetchone()
    con.close()
    return row


def shown(b):
    return b.js("return {prompt: document.getElementById('prompt').textContent, left: document.getElementById('left').textContent,"
                " right: document.getElementById('right').textContent, progress: document.getElementById('progress').textContent,"
                " status: document.getElementById('status').textContent,"
                " empty: ['left', 'right'].some(id => document.getElementById(id).classList.contains('empty'))}")


# ---------------------------------------------------------------- checks

def check_browser(base, work, artifacts):
    db = os.path.join(work, "browser.sqlite")
    shutil.copy(base, db)
    server = Server(db).start()
    browser = Browser(artifacts)
    try:
        link = run("label", "add-rater", "browser rater", "--db", db, "--url", server.url())
        total = int(json.loads(request(server.port, "GET", "/admin/figures.json", headers={"Authorization": f"Bearer {server.admin}"})[2])["pairs"])
        browser.get(link)
        browser.wait(lambda: shown(browser)["progress"] == f"0 / {total} done", "the progress 0 / N")
        assert browser.js("return location.pathname") == "/", "the sign-in link lands on the page"
        expected, prompts, empties = [], [], []
        actions = [("key", "1"), ("key", "2"), ("key", "1"), ("key", "2"), ("key", "1"), ("click", "#choose-right"), ("click", "#choose-left")]
        for n, (kind, what) in enumerate(actions):
            s = browser.wait(lambda: (lambda v: v if v["prompt"] and v["prompt"] not in prompts else None)(shown(browser)), "a new pair")
            prompts.append(s["prompt"])
            empties.append(s["empty"])
            left = what in ("1", "#choose-left")
            raw = browser_pair_texts(db, s["prompt"])   # the page trims the answers' outer whitespace; the export does not
            sides = raw if (raw[0].strip(), raw[1].strip()) == (s["left"], s["right"]) else (raw[1], raw[0])
            expected.append((s["prompt"], sides[0] if left else sides[1], sides[1] if left else sides[0]))
            browser.key(what) if kind == "key" else browser.click(what)
            browser.wait(lambda: shown(browser)["progress"] == f"{n + 1} / {total} done", f"progress {n + 1}")
        browser.click("#undo")
        back = browser.wait(lambda: (lambda v: v if v["progress"] == f"6 / {total} done" else None)(shown(browser)), "progress back to 6")
        assert back["prompt"] == prompts[-1], "undo brings the last pair back"
        assert back["left"] == expected[-1][1].strip() or back["empty"], "the undone pair keeps its sides"  # it was labelled 'left'
        desktop = browser.screenshot("label-page.png")
        # phone width: the two responses stack
        browser.window(390, 844)
        rects = browser.js("return ['left', 'right'].map(id => document.getElementById(id).getBoundingClientRect().toJSON())")
        assert rects[1]["top"] >= rects[0]["bottom"] - 1 and abs(rects[0]["left"] - rects[1]["left"]) < 2, f"not stacked at 390 px: {rects}"
        assert browser.js("return document.documentElement.scrollWidth") <= 390, "the page scrolls sideways at 390 px"
        phone = browser.screenshot("label-page-phone.png")
        out = os.path.join(work, "browser-prefs.jsonl")
        line = run("label", "export", "--db", db, "--out", out)
        got = [json.loads(l) for l in open(out)]
        got_set = sorted((g["prompt"], g["chosen"], g["rejected"]) for g in got)
        # a pair with an empty response is labelled but not exported (the trainers reject empty answers)
        kept = sorted(e for e, empty in zip(expected[:6], empties[:6]) if not empty)
        assert got_set == kept, f"export differs:\n{got_set}\n{kept}"
        empty = sum(empties[:6])
        assert (f"{empty} with an empty response" in line) == (empty > 0), f"the export does not account for {empty} empty pairs: {line}"
        # the export trains as it is: a reward model and DPO, a few steps each
        runs = os.path.join(work, "runs")
        rm = run("train-rm", "--model", MINILM, "--train-file", out, "--output-dir", os.path.join(runs, "rm"), "--max-steps", "4",
                 "--per-device-train-batch-size", "2", "--max-length", "96", "--logging-steps", "1", "--progress", "false")
        dpo = run("dpo", "--model", SMOLLM2, "--train-file", out, "--output-dir", os.path.join(runs, "dpo"), "--max-steps", "3",
                  "--per-device-train-batch-size", "2", "--max-length", "96", "--lora-r", "8", "--logging-steps", "1", "--progress", "false")
        # the runs view of those two runs, as the admin sees it
        viewer = Server(db, runs=runs).start()
        try:
            browser.window(1200, 900)
            browser.get(viewer.url(f"/admin?token={viewer.admin}"))
            browser.wait(lambda: browser.js("return document.getElementById('raters') != null"), "the status page")
            assert "browser rater" in browser.text("#raters"), "the status page lists the rater"
            browser.screenshot("admin-page.png")
            browser.get(viewer.url("/runs"))
            listed = browser.text("#runs")
            assert "rm" in listed and "dpo" in listed, listed
            browser.get(viewer.url("/runs/view?run=dpo"))
            svg = browser.js("return document.querySelector('#charts svg') ? document.querySelector('#charts svg').textContent : ''")
            for word in ("losses", "accuracy", "step", "loss"):
                assert word in svg, f"the DPO charts lack {word!r}"
            assert "beta:" in browser.text("#config"), "the run's config is shown"
            browser.screenshot("runs-view.png")
        finally:
            viewer.stop()
        return (f"7 labels (5 by key, 2 by mouse), undo → 6 live, {len(kept)} exported ({line.split(': ', 1)[1]}); "
                f"train-rm and dpo ran on the export ({rm.splitlines()[-1].split(';')[0]}; {dpo.splitlines()[-1].split(';')[0]}); "
                f"status page and runs view (charts, config) shown; screenshots in {artifacts}")
    finally:
        browser.close()
        server.stop()


def check_access(base, work, artifacts):
    db = os.path.join(work, "access.sqlite")
    shutil.copy(base, db)
    server = Server(db, overlap=5, runs=os.path.join(ROOT, "output")).start()
    browser = None
    try:
        p = server.port
        link = run("label", "add-rater", "checker", "--db", db, "--url", server.url())
        cookie = sign_in(p, link)
        path = urllib.parse.urlsplit(link)
        status = {
            "GET / without a session": request(p, "GET", "/")[0],
            "GET /api/next without a session": request(p, "GET", "/api/next")[0],
            "POST /api/label without a session": request(p, "POST", "/api/label", {"assignment": 1, "choice": "left", "request_id": "x" * 16}, {"X-RLHF": "1"})[0],
            "GET /api/next with a made-up session": request(p, "GET", "/api/next", headers={"Cookie": "rlhf_session=" + "0" * 64})[0],
            "POST /api/label without X-RLHF": request(p, "POST", "/api/label", {"assignment": 1, "choice": "left", "request_id": "y" * 16}, {"Cookie": cookie})[0],
            "the used sign-in link": request(p, "GET", f"{path.path}?{path.query}")[0],
            "a made-up sign-in link": request(p, "GET", "/signin?token=" + "1" * 64)[0],
            "GET /admin without a token": request(p, "GET", "/admin")[0],
            "GET /admin with a rater's session": request(p, "GET", "/admin", headers={"Cookie": cookie})[0],
            "GET /admin/figures.json with a wrong token": request(p, "GET", "/admin/figures.json", headers={"Authorization": "Bearer " + "2" * 64})[0],
            "GET /runs without a token": request(p, "GET", "/runs")[0],
            "GET /runs/view?run=../.. with the token": request(p, "GET", "/runs/view?run=../..", headers={"Authorization": f"Bearer {server.admin}"})[0],
        }
        want = {k: (404 if "../.." in k else 403 if ("X-RLHF" in k or "sign-in" in k or "wrong" in k) else 401) for k in status}
        # malformed requests of a signed-in rater: 400, and the server stays up
        signed = {"Cookie": cookie, "X-RLHF": "1"}
        for body in ({"assignment": 1e300, "choice": "left", "request_id": "z" * 16}, {"assignment": 1, "choice": "maybe", "request_id": "z" * 16},
                     {"assignment": 1, "choice": "left", "request_id": "bad id"}, {"label": -1e400}, [1, 2], "text"):
            path_ = "/api/undo" if isinstance(body, dict) and "label" in body else "/api/label"
            status[f"malformed: POST {path_} {json.dumps(body)[:40]}"] = request(p, "POST", path_, body, signed)[0]
        assert request(p, "GET", "/healthz")[0] == 200, "the server died on a malformed request"
        want.update({k: 400 for k in status if k.startswith("malformed: ")})
        bad = {k: (v, want[k]) for k, v in status.items() if v != want[k]}
        assert not bad, f"status codes (got, wanted): {bad}"
        assert request(p, "GET", "/admin", headers={"Authorization": f"Bearer {server.admin}"})[0] == 200
        assert request(p, "GET", "/runs", headers={"Authorization": f"Bearer {server.admin}"})[0] == 200
        headers = request(p, "GET", "/", headers={"Cookie": cookie})[1]
        assert "script-src 'self'" in headers.get("Content-Security-Policy", ""), headers
        # the <script> prompt, in a real browser: shown as text, never run
        browser = Browser(artifacts)
        browser.get(run("label", "add-rater", "script checker", "--db", db, "--url", server.url()))
        found = None
        for _ in range(20):
            s = browser.wait(lambda: (lambda v: v if v["prompt"] else None)(shown(browser)), "a pair")
            if SCRIPT_PROMPT in s["prompt"]:
                found = s
                break
            before = s["progress"]
            browser.key("s")
            browser.wait(lambda: shown(browser)["progress"] != before, "the skip")
        assert found, "the <script> prompt never came up"
        assert browser.js("return window.__pwned === undefined"), "the prompt's script ran"
        assert browser.js("return document.scripts.length") == 1, "a script element came from the data"
        assert browser.text("#prompt") == SCRIPT_PROMPT
        browser.screenshot("label-page-script-prompt.png")
        malformed = sum(k.startswith("malformed: ") for k in status)
        return (f"{len(status) - malformed} requests without valid access refused (401/403/404 as due), {malformed} malformed ones 400 "
                "with the server up; the <script> prompt shows as text and does not run")
    finally:
        if browser:
            browser.close()
        server.stop()


def sign_in_raters(server, db, n, prefix):
    cookies = []
    for i in range(n):
        cookies.append(sign_in(server.port, run("label", "add-rater", f"{prefix} {i}", "--db", db, "--url", server.url())))
    return cookies


def check_kill(base, work, artifacts, kills=3):
    db = os.path.join(work, "kill.sqlite")
    shutil.copy(base, db)
    add_synthetic_pairs(db, 5000)
    server = Server(db, port=free_port(), overlap=4).start()
    stop = threading.Event()
    try:
        raters = [Rater(server, c, stop, retry_seconds=30) for c in sign_in_raters(server, db, 4, "kill")]
        for r in raters:
            r.start()
        counts = []
        for _ in range(kills):
            time.sleep(1.5)
            counts.append(sum(len(r.acked) for r in raters))
            server.kill9()
            time.sleep(0.3)
            server.start()
        time.sleep(1.0)
        stop.set()
        for r in raters:
            r.join(60)
        errors = [e for r in raters for e in r.errors]
        assert not errors, f"rater errors: {errors[:3]}"
    finally:
        stop.set()
        server.stop()
    acked = [i for r in raters for i in r.acked]
    live, doubled = db_labels(db)
    assert len(acked) == len(set(acked))
    missing = set(acked) - set(live)
    extra = set(live) - set(acked)
    assert not missing, f"{len(missing)} acknowledged labels are not in the database"
    assert not extra, f"{len(extra)} labels in the database were never acknowledged"
    assert doubled == 0, f"{doubled} (pair, rater) with two live labels"
    assert len(counts) == kills and all(b > a for a, b in zip([0] + counts, counts)), f"labels flowed between kills: {counts}"
    retried, duplicates = sum(r.retried for r in raters), sum(r.duplicates for r in raters)
    return (f"{kills} × kill -9 mid-stream (after {counts} acknowledged labels; {retried} requests resent after no answer, "
            f"{duplicates} of them already stored before the kill): all {len(acked)} acknowledged labels stored once, no other")


def check_load(base, work, artifacts, seconds, raters_n=20):
    db = os.path.join(work, "load.sqlite")
    shutil.copy(base, db)
    add_synthetic_pairs(db, 5000)
    server = Server(db, overlap=raters_n).start()
    stop = threading.Event()
    try:
        raters = [Rater(server, c, stop) for c in sign_in_raters(server, db, raters_n, "load")]
        t0 = time.time()
        for r in raters:
            r.start()
        time.sleep(seconds)
        stop.set()
        for r in raters:
            r.join(60)
        elapsed = time.time() - t0
    finally:
        stop.set()
        server.stop()
    errors = [e for r in raters for e in r.errors]
    assert not errors, f"{len(errors)} errors: {errors[:3]}"
    acked = [i for r in raters for i in r.acked]
    live, doubled = db_labels(db)
    assert sorted(acked) == sorted(live), f"acknowledged {len(acked)}, stored {len(live)}"
    assert doubled == 0
    lat = sorted(x for r in raters for x in r.latencies)
    assert lat, "no label was made"
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    figures = {"raters": raters_n, "seconds": round(elapsed, 1), "labels": len(acked), "labels_per_second": round(len(acked) / elapsed, 1),
               "p50_ms": round(p50 * 1000, 1), "p99_ms": round(p99 * 1000, 1), "max_ms": round(lat[-1] * 1000, 1)}
    with open(os.path.join(artifacts, "load.json"), "w") as f:
        json.dump(figures, f, indent=1)
    return (f"{raters_n} raters × {elapsed:.0f} s: {len(acked)} labels ({figures['labels_per_second']}/s), none lost or doubled; "
            f"label request p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated checks to run (browser, access, kill, load)")
    ap.add_argument("--load-seconds", type=float, default=30)
    ap.add_argument("--load-raters", type=int, default=20)
    ap.add_argument("--artifacts", default=os.path.join(ROOT, "test-artifacts/label"))
    args = ap.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            sys.exit(f"label_checks: {tool} is missing (scripts/setup installs Debian's chromium and chromium-driver)")
    work = tempfile.mkdtemp(prefix="rlhf-label-checks-")
    passed = failed = 0
    try:
        prompts = os.path.join(work, "prompts.jsonl")
        with open(os.path.join(ROOT, "examples/prompts/test.jsonl")) as f:
            lines = [l for l in f if l.strip()][:11]
        with open(prompts, "w") as f:
            f.writelines(lines[:5] + [json.dumps({"prompt": SCRIPT_PROMPT}) + "\n"] + lines[5:])
        base = os.path.join(work, "base.sqlite")
        t0 = time.time()
        print(run("label", "init", "--prompts", prompts, "--model", SMOLLM2, "--db", base, "--max-new-tokens", "24", "--no-progress"), f"({time.time() - t0:.0f} s)")
        checks = {
            "browser": lambda: check_browser(base, work, args.artifacts),
            "access": lambda: check_access(base, work, args.artifacts),
            "kill": lambda: check_kill(base, work, args.artifacts),
            "load": lambda: check_load(base, work, args.artifacts, args.load_seconds, args.load_raters),
        }
        only = set(args.only.split(",")) if args.only else set(checks)
        for name, check in checks.items():
            if name not in only:
                continue
            t0 = time.time()
            try:
                print(f"label_checks {name}: ok: {check()} ({time.time() - t0:.0f} s)", flush=True)
                passed += 1
            except Exception as e:
                print(f"label_checks {name}: FAILED: {e}", flush=True)
                failed += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"label_checks: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
