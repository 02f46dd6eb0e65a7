"use strict";
/* The tally page: lays out what the hub sends, and decides nothing.

   Every outcome, call, chance and "needs" line comes from the hub's /board
   summaries, made by the same Python rules as `tally report --json`; the
   events of /elections/{id} only feed the list of last calls. Text from a
   count (titles, choices, notes) is only ever set with textContent.

   Both links reconnect by themselves with backoff; the events link resumes
   with ?since= the last seq it has, the board link gets a fresh snapshot. */
(() => {
  const FIRST_DELAY = 1000, MOST_DELAY = 15000, CALLS = 12;
  const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  const num = (n) => (n === null || n === undefined ? "unknown" : n.toLocaleString("en-US"));
  const share = (part, whole) => (whole ? (100 * part / whole).toFixed(1) + " %" : "–");
  const STATE_WORDS = {
    counting: "COUNTING", decided: "DECIDED",
    "challenges determinative": "CHALLENGES DETERMINATIVE", final: "FINAL",
  };

  /* -- the links and what the status line says about them ---------------- */
  const links = [];
  let lastFrame = 0;

  function follow(path, onFrame) {
    const link = { state: "connecting", attempt: 1 };
    links.push(link);
    function connect() {
      const ws = new WebSocket(base + path());
      ws.onopen = () => { link.state = "live"; link.attempt = 0; status(); };
      ws.onmessage = (message) => {
        let frame;
        try { frame = JSON.parse(message.data); } catch (err) { return; }
        lastFrame = Date.now();
        onFrame(frame);
        status();
      };
      ws.onclose = () => {
        link.attempt += 1;
        link.state = "reconnecting";
        status();
        const delay = Math.min(FIRST_DELAY * Math.pow(1.6, link.attempt - 2), MOST_DELAY);
        setTimeout(connect, link.attempt === 1 ? delay * (0.5 + Math.random() / 2) : delay);
      };
    }
    connect();
    return link;
  }

  function ago(ms) {
    const s = Math.round(ms / 1000);
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }

  function status() {
    const node = $("status");
    const down = links.find((l) => l.state !== "live");
    const since = lastFrame ? " · last update " + ago(Date.now() - lastFrame) : "";
    let words;
    if (!down) words = "LIVE" + since;
    else if (down.state === "connecting") words = "connecting …";
    else words = "RECONNECTING (attempt " + down.attempt + ")" + since;
    node.textContent = words;
    node.className = "status " + (down ? "-reconnecting" : "-live");
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

  function remainingWords(s) {
    if (s.closed) return "count closed";
    if (s.remaining === null) return "total cast unknown";
    return num(s.remaining) + " unopened";
  }

  function likeliest(s) {
    if (s.state !== "counting") return s.result;
    if (s.working) return "chance: " + s.no_chances;
    if (!s.chances || !s.chances.length) return "no chance given";
    return s.chances[0].words + " " + s.chances[0].percent;
  }

  /* -- the board: one row per election ------------------------------------- */
  function boardPage() {
    const rows = new Map();
    const list = $("rows");
    let ready = false;

    function row(s) {
      const li = el("li", "row -" + s.state.replace(/ /g, "-"));
      li.dataset.id = s.id;
      const head = el("div", "row-head");
      const title = el("a", "title", s.title);
      title.href = "/e/" + encodeURIComponent(s.id);
      head.append(title, el("span", "state", STATE_WORDS[s.state] || s.state));
      li.appendChild(head);
      const bars = el("div", "bars");
      s.choices.forEach((c, i) => {
        const line = el("div", "bar-line -c" + Math.min(i, 5));
        line.append(el("span", "name", s.names[i]), bar(s.votes[c], s.scale, s.line, false),
          el("span", "count", num(s.votes[c])));
        bars.appendChild(line);
      });
      li.appendChild(bars);
      const facts = el("p", "row-facts");
      facts.append(el("span", "lead", s.lead), el("span", "remaining", remainingWords(s)),
        el("span", "chance", likeliest(s)));
      li.appendChild(facts);
      return li;
    }

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

    follow(() => "/board", (frame) => {
      if (frame.ready !== undefined) { ready = true; draw(); return; }
      if (!frame.id) return;
      const node = row(frame);
      const old = rows.get(frame.id);
      if (old) old.node.replaceWith(node);
      rows.set(frame.id, { summary: frame, node });
      draw();
    });
  }

  /* -- one count: the dashboard --------------------------------------------- */
  function countPage() {
    const id = decodeURIComponent(location.pathname.split("/")[2] || "");
    let summary = null;
    let lastSeq = 0;
    let eventsLink = null;
    const calls = [];

    function fact(list, name, value, className) {
      list.append(el("dt", "", name), el("dd", className || "", value));
    }

    function draw(s) {
      document.title = s.title + " — tally";
      $("title").textContent = s.title;
      $("place").textContent = s.place;
      $("call").textContent = s.call;
      $("detail").textContent = s.state === "counting" ? s.detail : s.result + " · " + s.detail;
      $("banner").className = "banner -" + s.state.replace(/ /g, "-");
      const choices = $("choices");
      choices.replaceChildren();
      s.choices.forEach((c, i) => {
        const row = el("div", "choice -c" + Math.min(i, 5));
        row.dataset.choice = c;
        const top = el("div", "choice-top");
        top.append(el("span", "name", s.names[i]), el("span", "count", num(s.votes[c])),
          el("span", "share", share(s.votes[c], s.valid) + " of valid"));
        row.append(top, bar(s.votes[c], s.scale, s.line, true), el("p", "needs", s.needs[c]));
        choices.appendChild(row);
      });
      const facts = $("facts");
      facts.replaceChildren();
      fact(facts, "Margin", s.lead + (s.leader !== null ? " (" + share(s.margin, s.valid) + " of valid)" : ""), "margin");
      fact(facts, "Remaining", remainingWords(s) + (s.ballots !== null && !s.closed ? " of " + num(s.ballots) : "") +
        " · " + num(s.handled) + " handled", "remaining");
      fact(facts, "Void", num(s.void), "void");
      fact(facts, "Challenged", num(s.challenged) + " (set aside, unopened)", "challenged");
      fact(facts, "Result", s.result, "result");
      const chances = $("chances");
      chances.replaceChildren();
      if (!s.chances) {
        chances.appendChild(el("li", "none", s.working ? s.no_chances : "not given: " + s.no_chances));
      } else {
        s.chances.forEach((c) => {
          const li = el("li", "chance -" + c.key.replace(/[^a-z0-9]/gi, ""));
          li.append(el("span", "words", c.words), bar(c.p, 1, null, false), el("span", "percent", c.percent));
          chances.appendChild(li);
        });
      }
      drawCalls();
    }

    function words(e) {
      const names = summary ? Object.fromEntries(summary.choices.map((c, i) => [c, summary.names[i]])) : {};
      switch (e.type) {
        case "ballot": {
          const name = e.choice === "void" ? "VOID" : (names[e.choice] || e.choice);
          return (e.count || 1) === 1 ? name : e.count + " × " + name + " (pile)";
        }
        case "challenged": return ((e.count || 1) === 1 ? "" : e.count + " ") + "CHALLENGED, set aside";
        case "retract": return "RETRACTED #" + e.target;
        case "note": return "note: " + e.text;
        case "close": return "COUNT CLOSED";
        case "election": return "count opened: " + e.title;
        default: return e.type;
      }
    }

    function drawCalls() {
      const list = $("calls");
      list.replaceChildren();
      calls.slice().reverse().forEach((e) => {
        const li = el("li", "call -" + e.type);
        li.append(el("span", "seq", "#" + e.seq), el("span", "what", words(e)));
        list.appendChild(li);
      });
    }

    function startEvents() {
      if (eventsLink) return;
      eventsLink = follow(() => {
        const since = lastSeq || (summary ? Math.max(0, summary.last_seq - CALLS) : 0);
        return "/elections/" + encodeURIComponent(id) + "?since=" + since;
      }, (e) => {
        if (typeof e.seq !== "number" || e.seq <= lastSeq) return;
        lastSeq = e.seq;
        calls.push(e);
        if (calls.length > CALLS) calls.shift();
        drawCalls();
      });
    }

    follow(() => "/board?id=" + encodeURIComponent(id), (frame) => {
      if (frame.ready !== undefined) { startEvents(); return; }
      if (frame.id !== id) return;
      summary = frame;
      draw(frame);
    });
  }

  if (document.body.dataset.page === "count") countPage(); else boardPage();
  status();
})();
