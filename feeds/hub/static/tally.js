"use strict";
/* The tally page: lays out what the hub sends, and decides nothing.

   Every figure, phrase, chance, state and call comes already worded in the
   `model` of the hub's /board rows: `tally.present` in Python, the same
   model the dashboard and `tally report` lay out, so the faces cannot
   disagree. This script composes no words of a count, nor of its own link:
   each model carries the words for every state the page's link can be in
   (`page_link`: live, reconnecting, offline; how old the numbers are), and
   the script only fills in the numbers it counts itself (the attempt, the
   seconds). Before the first model it says the words the hub put in the page
   ("connecting …", in the reader's language). Text from a count (titles,
   choices, notes) is only ever set with textContent.

   The hub served the page in its reader's language (<html lang>); the script
   asks for rows in it (/board?lang=) and lays out the row's model in it
   (`models[lang]`), or the row's own model when the hub sends none.

   The link reconnects by itself with backoff and gets a fresh snapshot. */
(() => {
  const FIRST_DELAY = 1000, MOST_DELAY = 15000;
  const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  const $ = (id) => document.getElementById(id);
  const LANG = document.documentElement.lang || "en";
  const asked = new URLSearchParams(location.search).get("lang"); /* kept on the links between pages */
  const said = $("status").dataset; /* the page's own words for its link before any model */
  const modelOf = (frame) => (frame.models && frame.models[LANG]) || frame.model;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  const cls = (words) => String(words).replace(/[^a-z0-9]+/gi, "-");

  /* -- the link and what the status line says about it ---------------------- */
  let link = { state: "connecting", attempt: 1 };
  let since = null; /* when the numbers shown stopped being current (the link dropped), else null */
  let shown = null; /* the model on the count page: FINAL wins over any link word */
  let words = null; /* the model's words for this page's own link (tally.present.page_link) */

  function follow(path, onFrame, onOpen) {
    function connect() {
      const ws = new WebSocket(base + path + (path.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(LANG));
      ws.onopen = () => { link.state = "live"; link.attempt = 0; if (onOpen) onOpen(); status(); };
      ws.onmessage = (message) => {
        let data;
        try { data = JSON.parse(message.data); } catch (err) { return; }
        /* several rows sent at once come as {"rows": [...]}, in order */
        const frames = data && Array.isArray(data.rows) && data.id === undefined ? data.rows : [data];
        for (const frame of frames) {
          if (!frame || typeof frame !== "object") continue;
          onFrame(frame);
          const model = modelOf(frame);
          if (model && model.page_link) words = model.page_link;
        }
        if (link.state === "live") since = null;
        status();
      };
      ws.onclose = () => {
        link.attempt += 1;
        link.state = "reconnecting";
        if (since === null) since = Date.now();
        status();
        const delay = Math.min(FIRST_DELAY * Math.pow(1.6, link.attempt - 2), MOST_DELAY);
        setTimeout(connect, link.attempt === 1 ? delay * (0.5 + Math.random() / 2) : delay);
      };
    }
    connect();
  }

  /* The model's words with its numbers put in: "{n}", and "{mm}" two digits wide. */
  function fill(template, n, mm) {
    return template.replace("{n}", String(n)).replace("{mm}", String(mm).padStart(2, "0"));
  }

  /* Python's round(): half to even, as tally.present.ago rounds the minutes */
  function roundHalfEven(x) {
    const f = Math.floor(x), d = x - f;
    return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  }

  /* tally.present.stale_words of these seconds, from its steps (STALE_STEPS) */
  function staleWords(steps, seconds) {
    const s = Math.max(0, Math.floor(seconds));
    for (const [below, per, template] of steps) {
      if (below !== null && s >= below) continue;
      if (per === 1) return fill(template, s);
      if (template.includes("{mm}")) return fill(template, Math.floor(s / per), Math.floor((s % per) / 60));
      return fill(template, roundHalfEven(s / per));
    }
    return "";
  }

  function status() {
    const node = $("status");
    let state, text;
    if (!words) { /* no model yet: nothing to say but that the page is connecting */
      [state, text] = link.state === "live" ? ["live", said.live] : ["reconnecting", said.connecting];
    } else {
      const marks = shown ? words.marks : words.links; /* the board page: no one count's */
      [state, text] = marks[link.state === "connecting" ? "reconnecting" : link.state];
      if (link.state === "reconnecting" && state === "reconnecting") text += " · " + fill(words.attempt, link.attempt);
      const stale = since === null ? "" : staleWords(words.stale, (Date.now() - since) / 1000);
      if (stale) text += " · " + stale; /* no steps: a closed count, never stale */
      document.body.classList.toggle("-stale", Boolean(stale));
    }
    node.textContent = text;
    node.className = "status -" + state;
  }
  setInterval(status, 1000);

  /* -- pieces both pages draw ---------------------------------------------- */
  function bar(votes, scale, line, big) {
    const box = el("span", big ? "bar big" : "bar");
    const fill = el("span", "fill");
    fill.style.width = (scale ? Math.min(100, 100 * votes / scale) : 0) + "%";
    box.appendChild(fill);
    if (scale && line !== null) {
      const mark = el("span", "mark");
      mark.style.left = Math.min(100, 100 * line / scale) + "%";
      box.appendChild(mark);
    }
    return box;
  }

  /* -- the board: one row per election ------------------------------------- */
  function boardPage() {
    const rows = new Map();
    const list = $("rows");
    let ready = false;

    function row(s) {
      const m = modelOf(s);
      const li = el("li", "row -" + cls(m.state));
      li.dataset.id = s.id;
      const head = el("div", "row-head");
      const title = el("a", "title", m.title);
      title.href = "/e/" + encodeURIComponent(s.id) + (asked ? "?lang=" + encodeURIComponent(asked) : "");
      head.append(title, el("span", "state", m.state_words));
      li.appendChild(head);
      const bars = el("div", "bars");
      m.choices.forEach((c) => {
        const line = el("div", "bar-line -" + c.role);
        line.append(el("span", "name", c.name), bar(c.votes, m.scale, m.line, false),
          el("span", "count", c.votes_text));
        bars.appendChild(line);
      });
      li.appendChild(bars);
      const facts = el("p", "row-facts");
      facts.append(el("span", "lead", m.lead), el("span", "remaining", m.remaining),
        el("span", "chance", m.likeliest));
      li.appendChild(facts);
      if (m.verification) li.appendChild(el("p", "verification -" + cls(m.verification_role), m.verification));
      return li;
    }

    /* the hub's order (tally.summary.order_key), kept here only to place a changed row */
    function order(a, b) {
      const ka = [a.state !== "counting", a.title.toLowerCase(), a.id];
      const kb = [b.state !== "counting", b.title.toLowerCase(), b.id];
      for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
      return 0;
    }

    function draw() {
      const sorted = [...rows.values()].sort((a, b) => order(a.summary, b.summary));
      sorted.forEach((r) => list.appendChild(r.node));
      $("empty").hidden = !ready || rows.size > 0;
    }

    follow("/board", (frame) => {
      if (frame.ready !== undefined) { ready = true; draw(); return; }
      if (!frame.id || !frame.model) return;
      const node = row(frame);
      const old = rows.get(frame.id);
      if (old) old.node.replaceWith(node);
      rows.set(frame.id, { summary: frame, node });
      draw();
    });
  }

  /* -- one count, live: its rows, drawn by the page or the overlay ------------ */
  function followCount(draw) {
    const id = decodeURIComponent(location.pathname.split("/")[2] || "");
    let found = false; /* a row of this count came on this connection */
    follow("/board?id=" + encodeURIComponent(id), (frame) => {
      if (frame.ready !== undefined && !found && shown) {
        /* connected, and the hub has no such count (restarted without it): the numbers are old */
        link.state = "offline";
        if (since === null) since = Date.now();
      }
      if (frame.id !== id || !frame.model) return;
      found = true;
      if (link.state === "offline") link.state = "live"; /* the count is back on the hub */
      shown = modelOf(frame);
      draw(shown);
    }, () => { found = false; });
  }

  /* -- one count: the dashboard --------------------------------------------- */
  function countPage() {
    function fact(list, name, value, className) {
      list.append(el("dt", "", name), el("dd", className || "", value));
    }
    if (asked) $("back").href = "/?lang=" + encodeURIComponent(asked);

    function draw(m) {
      document.title = m.title + " — tally";
      $("title").textContent = m.heading || m.title;
      $("place").textContent = [m.place, m.reconstructed].filter(Boolean).join(" · ");
      $("call").textContent = m.headline;
      $("detail").textContent = m.subline;
      $("banner").className = "banner -" + cls(m.state);
      /* the verification line (issue 18): other counters, the Board's subtotals; its colour by role */
      $("verification").textContent = m.verification || "";
      $("verification").className = "verification -" + cls(m.verification_role || "");
      const choices = $("choices");
      choices.replaceChildren();
      m.choices.forEach((c) => {
        const row = el("div", "choice -" + c.role);
        row.dataset.choice = c.key;
        const top = el("div", "choice-top");
        top.append(el("span", "name", c.name), el("span", "count", c.votes_text),
          el("span", "share", c.share_words));
        row.append(top, bar(c.votes, m.scale, m.line, true), el("p", "needs", c.needs));
        choices.appendChild(row);
      });
      const facts = $("facts");
      facts.replaceChildren();
      const label = facts.dataset; /* the page's words for them, in its language */
      fact(facts, label.margin, m.margin, "margin");
      fact(facts, label.remaining, m.remaining, "remaining");
      fact(facts, label.piles, m.piles, "piles");
      fact(facts, label.turnout, m.turnout, "turnout");
      const chances = $("chances");
      chances.replaceChildren();
      if (!m.chances) {
        chances.appendChild(el("li", "none", m.no_chance));
      } else {
        m.chances.forEach((c) => {
          const li = el("li", "chance -" + c.role);
          li.dataset.key = c.key;
          li.append(el("span", "words", c.label), bar(c.p, 1, null, false), el("span", "percent", c.text));
          chances.appendChild(li);
        });
      }
      $("method").textContent = m.chance_method ? "(" + m.chance_method + ")" : "";
      $("ranges").textContent = m.ranges;
      const calls = $("calls");
      calls.replaceChildren();
      m.calls.forEach((c) => {
        const li = el("li", "tick -" + c.kind); /* not "call": that is the banner's headline */
        li.append(el("span", "label", c.label), el("span", "what", c.text));
        calls.appendChild(li);
      });
      $("last-call").textContent = m.last_call;
    }

    followCount(draw);
  }

  /* -- one count as a stream's lower third (/overlay/ID) ----------------------
     The call, each side's votes and bar, the lead and the verification mark;
     the last numbers stay through a reconnect, dimmed, with the status saying
     how old they are, as on the page. The mark's words are the model's
     (`verification_marks`, looked up by the role the hub put in). */
  function overlayPage() {
    followCount((m) => {
      $("title").textContent = m.heading || m.title;
      $("call").textContent = m.headline;
      $("call").className = "call -" + cls(m.state);
      const role = m.verification_role || "";
      $("verification").textContent = (m.verification_marks || {})[role] || "";
      $("verification").className = "check -" + cls(role);
      const sides = $("sides");
      sides.replaceChildren();
      sides.className = m.choices.length > 3 ? "sides -many" : "sides";
      m.choices.forEach((c) => {
        const side = el("div", "side -" + c.role);
        side.dataset.choice = c.key;
        side.append(el("span", "name", c.name), el("span", "count", c.votes_text),
          bar(c.votes, m.scale, m.line, false));
        sides.appendChild(side);
      });
      $("margin").textContent = m.lead;
    });
  }

  const pages = { count: countPage, overlay: overlayPage };
  (pages[document.body.dataset.page] || boardPage)();
  status();
})();
