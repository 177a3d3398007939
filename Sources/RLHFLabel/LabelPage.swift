// The rater's page: the prompt, responses A (left) and B (right), the five choices with their keys (1 2 3 4
// s), an optional comment, undo (u) and the progress. The HTML holds no data: the script fetches the state
// as JSON and puts every text in with textContent, so nothing from the data is ever parsed as HTML. The
// script is a file of its own (/static/label.js), so the pages' Content-Security-Policy forbids inline
// scripts outright.
//
// A label carries a request id made once per click or key press; a request that gets no answer (the
// server restarting) is sent again with the same id, and the server stores it at most once.

/// The page's HTML.
let labelPageHTML = page(
    title: "rlhf label",
    body: """
        <header><h1>Which response is better?</h1><span><span id="who" class="muted"></span> · <span id="progress" aria-live="polite">…</span></span></header>
        <div id="work">
        <section><h2>Prompt</h2><div id="prompt" class="text"></div></section>
        <div class="responses">
        <section class="resp"><h2>A</h2><div id="left" class="text"></div></section>
        <section class="resp"><h2>B</h2><div id="right" class="text"></div></section>
        </div>
        <div class="choices">
        <button id="choose-left" data-choice="left">A is better <kbd>1</kbd></button>
        <button id="choose-right" data-choice="right">B is better <kbd>2</kbd></button>
        <button id="choose-tie" data-choice="tie">Tie <kbd>3</kbd></button>
        <button id="choose-both_bad" data-choice="both_bad">Both bad <kbd>4</kbd></button>
        <button id="choose-skip" data-choice="skip">Skip <kbd>s</kbd></button>
        </div>
        <label for="comment" class="muted">Comment (optional)</label>
        <textarea id="comment" rows="2" maxlength="2000"></textarea>
        </div>
        <p id="empty" hidden>Nothing left for you to label. Thank you!</p>
        <div class="bar"><button id="undo" disabled>Undo last <kbd>u</kbd></button> <span id="status" role="status" class="muted"></span></div>
        <script src="/static/label.js"></script>
        """,
    style: """
        .responses{display:flex;gap:12px;margin:12px 0}.resp{flex:1;min-width:0}
        .choices{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
        button{font-size:1em;padding:10px 14px;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}
        button:hover:not(:disabled){background:#eef} button:disabled{opacity:.5;cursor:default}
        kbd{font-size:.8em;border:1px solid #aaa;border-radius:3px;padding:0 4px;margin-left:4px;color:#555}
        textarea{width:100%;font:inherit;margin:4px 0 8px 0}
        .bar{margin-top:8px} .empty{color:#888;font-style:italic}
        @media (max-width:700px){.responses{flex-direction:column}.choices button{flex:1 1 45%}}
        """)

/// The page's script.
let labelPageScript = """
    "use strict";
    let state = null, busy = false;
    const $ = (id) => document.getElementById(id);
    function requestId() {
      if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
      const b = new Uint8Array(16); crypto.getRandomValues(b);
      return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    }
    async function call(method, url, body) {
      for (let attempt = 0; ; attempt++) {
        let r;
        try {
          r = await fetch(url, {method, credentials: "same-origin", cache: "no-store",
            headers: {"Content-Type": "application/json", "X-RLHF": "1"}, body: body ? JSON.stringify(body) : undefined});
        } catch (e) {
          if (attempt >= 8) throw new Error("the server does not answer");
          $("status").textContent = "Connection lost; trying again…";
          await new Promise((ok) => setTimeout(ok, 400 * (attempt + 1)));
          continue;
        }
        if (r.status === 401 || r.status === 403) { $("status").textContent = "Signed out: open your sign-in link again."; throw new Error("signed out"); }
        const j = await r.json().catch(() => ({}));
        if (!r.ok) {
          if (r.status >= 500 && attempt < 8) { await new Promise((ok) => setTimeout(ok, 400 * (attempt + 1))); continue; }
          throw new Error(j.error || ("HTTP " + r.status));
        }
        return j;
      }
    }
    function render(s) {
      state = s;
      $("who").textContent = s.rater;
      $("progress").textContent = s.done + " / " + s.assigned + " done";
      $("undo").disabled = s.last_label == null;
      const has = s.pair != null;
      $("work").hidden = !has; $("empty").hidden = has;
      if (has) {
        $("prompt").textContent = s.pair.prompt;
        for (const side of ["left", "right"]) {
          const text = s.pair[side].trim();   // shown without the blank lines a model may start or end with
          $(side).textContent = text || "(empty response)";
          $(side).classList.toggle("empty", !text);
        }
      }
    }
    async function act(method, url, body, done) {
      if (busy) return;
      busy = true;
      try { render(await call(method, url, body)); $("status").textContent = done; }
      catch (e) { $("status").textContent = "Not saved: " + e.message; }
      finally { busy = false; }
    }
    function choose(choice) {
      if (!state || !state.pair) return;
      const body = {assignment: state.pair.assignment, choice, comment: $("comment").value, request_id: requestId()};
      act("POST", "/api/label", body, "Saved.").then(() => { if (state && (!state.pair || state.pair.assignment !== body.assignment)) $("comment").value = ""; });
    }
    function undo() {
      if (!state || state.last_label == null) return;
      act("POST", "/api/undo", {label: state.last_label}, "Undone: the pair is back.");
    }
    for (const b of document.querySelectorAll("button[data-choice]")) b.addEventListener("click", () => choose(b.dataset.choice));
    $("undo").addEventListener("click", undo);
    const keys = {"1": "left", "2": "right", "3": "tie", "4": "both_bad", "s": "skip"};
    document.addEventListener("keydown", (e) => {
      if (e.target && (e.target.tagName === "TEXTAREA" || e.target.tagName === "INPUT")) { if (e.key === "Escape") e.target.blur(); return; }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (keys[e.key]) { e.preventDefault(); choose(keys[e.key]); }
      else if (e.key === "u") { e.preventDefault(); undo(); }
    });
    act("GET", "/api/next", null, "");
    """
