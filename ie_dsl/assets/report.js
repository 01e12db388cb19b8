(function () {
  "use strict";
  // The page's data: see ie_dsl/report.py. Every element is built with textContent.
  var data = JSON.parse(document.getElementById("iedsl-data").textContent);
  var docs = data.docs, PAGE = data.page || 20, CHUNK = 200, FEW = 3, CLAIMS = 50;
  function $(id) { return document.getElementById(id); }
  var root = document.documentElement, bar = $("bar"), tip = $("tip"), area = $("docs");
  var indexList = $("index-list"), indexMore = $("index-more"), nothing = $("nothing");
  var search = $("q"), ruleSel = $("f-rule"), only = $("f-only");
  var boxes = document.querySelectorAll("#f-types input");

  var base = new Int32Array(docs.length + 1);  // statement k of document d is flag base[d] + k
  docs.forEach(function (d, n) { base[n + 1] = base[n] + d.s.length; });
  var flags = new Uint8Array(base[docs.length]), counts = new Int32Array(docs.length);
  var view = [], page = 0, indexShown = 0, cache = {}, marked = [], selected = null;

  function setHead() { root.style.setProperty("--head", bar.offsetHeight + "px"); }
  setHead();
  window.addEventListener("resize", setHead);

  // ---- text: Python offsets count code points; JavaScript strings count UTF-16 units ----
  function slicer(doc) {
    if (!doc._slice) {
      if (/[\ud800-\udfff]/.test(doc.t)) {
        var points = Array.from(doc.t);
        doc._slice = function (a, b) { return points.slice(a, b).join(""); };
        doc._len = points.length;
      } else {
        doc._slice = function (a, b) { return doc.t.slice(a, b); };
        doc._len = doc.t.length;
      }
    }
    return doc._slice;
  }
  function kindOf(doc, i) { return data.kinds[doc.n[i][0]]; }  // [type, canonical, attrs, source]
  function lower(doc) {
    if (doc._low === undefined) doc._low = doc.t.toLowerCase();
    return doc._low;
  }
  function valuesOf(doc) {  // what a plain search term may find besides the text and the id
    if (doc._vals === undefined) {
      var cut = slicer(doc), parts = [];
      doc.s.forEach(function (st) {
        parts.push(st.t, st.r, st.m || "", st.w ? st.w.slice(0, 3).join(" ") : "");
        st.a.forEach(function (a) {
          parts.push(cut(a[1], a[2]));
          if (a[3] >= 0 && kindOf(doc, a[3])[1]) parts.push(kindOf(doc, a[3])[1]);
        });
      });
      doc._vals = parts.join("\n").toLowerCase();
    }
    return doc._vals;
  }

  // ---- search and filters ----
  var KEYS = { type: 1, rule: 1, when: 1, arg: 1, doc: 1, text: 1 };
  data.roles.forEach(function (r) { KEYS[r.toLowerCase()] = 1; });
  function parse(query) {
    var terms = [], re = /(?:([\w-]+):)?("([^"]*)"?|\S+)/g, m;
    while ((m = re.exec(query))) {
      var key = m[1] ? m[1].toLowerCase() : "", word = (m[3] !== undefined ? m[3] : m[2]).toLowerCase();
      if (key && !KEYS[key]) { word = (m[1] + ":" + word).toLowerCase(); key = ""; }
      if (word) terms.push([key, word]);
    }
    return terms;
  }
  function statementHas(doc, st, key, word) {
    if (key === "type") return st.t.toLowerCase().indexOf(word) >= 0;
    if (key === "rule") return st.r.toLowerCase().indexOf(word) >= 0;
    if (key === "when") return !!st.w && st.w.slice(0, 3).join(" ").toLowerCase().indexOf(word) >= 0;
    var cut = slicer(doc);
    return st.a.some(function (a) {
      if (key !== "arg" && a[0].toLowerCase() !== key) return false;
      var canonical = a[3] >= 0 ? kindOf(doc, a[3])[1] : "";
      return (cut(a[1], a[2]) + "\n" + canonical).toLowerCase().indexOf(word) >= 0;
    });
  }
  function documentHas(doc, key, word) {
    if (key === "doc") return doc.id.toLowerCase().indexOf(word) >= 0;
    if (key === "text") return lower(doc).indexOf(word) >= 0;
    return doc.id.toLowerCase().indexOf(word) >= 0 || lower(doc).indexOf(word) >= 0 ||
      valuesOf(doc).indexOf(word) >= 0;
  }
  function compute() {
    var on = {}, rule = ruleSel.value, terms = parse(search.value), shown = 0;
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var stTerms = terms.filter(function (t) { return t[0] && t[0] !== "doc" && t[0] !== "text"; });
    var docTerms = terms.filter(function (t) { return !t[0] || t[0] === "doc" || t[0] === "text"; });
    var needStatement = only.checked || stTerms.length > 0;
    view = [];
    for (var d = 0; d < docs.length; d++) {
      var doc = docs[d], n = 0;
      for (var i = 0; i < doc.s.length; i++) {
        var st = doc.s[i];
        var ok = on[st.t] !== false && (!rule || st.r === rule) && stTerms.every(function (t) {
          return statementHas(doc, st, t[0], t[1]);
        });
        flags[base[d] + i] = ok ? 1 : 0;
        if (ok) n++;
      }
      counts[d] = n;
      if ((n > 0 || !needStatement) && docTerms.every(function (t) { return documentHas(doc, t[0], t[1]); })) {
        view.push(d);
        shown += n;
      }
    }
    $("shown").textContent = shown;
    $("ndocs").textContent = view.length;
  }

  // ---- one document ----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function piecesInto(box, doc) {
    var cut = slicer(doc), size = doc._len, anns = doc.n, bounds = [0, size];
    anns.forEach(function (a) { bounds.push(a[1], a[2]); });
    doc.s.forEach(function (st) {
      bounds.push(st.x[0], st.x[1]);
      st.a.forEach(function (a) { bounds.push(a[1], a[2]); });
      if (st.w && st.w.length > 3) bounds.push(st.w[3], st.w[4]);
    });
    bounds = bounds.filter(function (b) { return b >= 0 && b <= size; }).sort(function (x, y) { return x - y; });
    var frag = document.createDocumentFragment(), active = [], next = 0;
    for (var k = 0; k + 1 < bounds.length; k++) {
      var a = bounds[k], b = bounds[k + 1];
      if (a === b) continue;
      while (next < anns.length && anns[next][1] <= a) active.push(next++);
      active = active.filter(function (i) { return anns[i][2] > a; });
      var span = el("span", "", cut(a, b));
      span.setAttribute("data-o", a);
      if (active.length) {
        var inner = active[0], outer = active[0];
        active.forEach(function (i) {
          var len = anns[i][2] - anns[i][1], lo = anns[inner][2] - anns[inner][1], hi = anns[outer][2] - anns[outer][1];
          if (len < lo || (len === lo && anns[i][1] > anns[inner][1])) inner = i;
          if (len > hi || (len === hi && anns[i][1] < anns[outer][1])) outer = i;
        });
        var ti = data.kinds[anns[inner][0]][0], to = data.kinds[anns[outer][0]][0];
        span.className = "a t" + ti + (to !== ti ? " u" + to : "");
        span.setAttribute("data-a", active.join(" "));
      }
      frag.appendChild(span);
    }
    box.appendChild(frag);
  }
  function statementEl(d, i) {
    var doc = docs[d], st = doc.s[i], cut = slicer(doc);
    var li = el("li", "st");
    li.tabIndex = 0;
    li.setAttribute("data-d", d);
    li.setAttribute("data-i", i);
    li.setAttribute("data-type", st.t);
    li.setAttribute("data-rule", st.r);
    li.hidden = !flags[base[d] + i];
    var head = li.appendChild(el("div", "st-head"));
    var kind = Array.prototype.findIndex.call(boxes, function (b) { return b.value === st.t; });
    head.appendChild(el("span", "badge s" + (Math.max(kind, 0) % 12), st.t));
    if (st.p) head.appendChild(el("span", "pol", st.p));
    if (st.m) head.appendChild(el("span", "mod", st.m));
    head.appendChild(el("span", "rule", st.r + " · " + st.f));
    var args = li.appendChild(el("div", "args"));
    st.a.forEach(function (a, k) {
      var chip = args.appendChild(el("span", "arg" + (a[3] >= 0 ? " t" + kindOf(doc, a[3])[0] : "")));
      chip.setAttribute("data-k", k);
      chip.appendChild(el("span", "role", a[0]));
      chip.appendChild(document.createTextNode(" "));
      chip.appendChild(el("span", "val", cut(a[1], a[2])));
    });
    if (st.w) {
      var when = args.appendChild(el("span", "arg when"));
      when.setAttribute("data-k", "w");
      when.appendChild(el("span", "role", "when"));
      when.appendChild(document.createTextNode(" "));
      when.appendChild(el("span", "val", st.w[0] || st.w[2] || "?"));
      if (st.w[2] && st.w[0]) when.appendChild(el("span", "role", " “" + st.w[2] + "”"));
    }
    if (st.e) args.appendChild(el("span", "fields", st.e));
    return li;
  }
  function documentEl(d) {
    var doc = docs[d], sec = el("section", "doc");
    sec.id = "doc-" + d;
    sec.setAttribute("data-d", d);
    var h = sec.appendChild(el("h2"));
    h.appendChild(el("span", "docid", doc.id));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("span", "count", counts[d]));
    h.appendChild(el("span", "muted", " of " + doc.s.length + " statements"));
    piecesInto(sec.appendChild(el("div", "text")), doc);
    var side = sec.appendChild(el("div", "side"));
    if (!doc.s.length) side.appendChild(el("p", "none", "No statements."));
    var list = side.appendChild(el("ol", "stmts"));
    doc.s.forEach(function (_st, i) { list.appendChild(statementEl(d, i)); });
    return sec;
  }

  // ---- pages and the index ----
  function pages() { return Math.max(1, Math.ceil(view.length / PAGE)); }
  function renderPage() {
    clear();
    cache = {};
    area.textContent = "";
    var frag = document.createDocumentFragment();
    view.slice(page * PAGE, page * PAGE + PAGE).forEach(function (d) { frag.appendChild(documentEl(d)); });
    area.appendChild(frag);
    nothing.hidden = view.length > 0;
    var first = view.length ? page * PAGE + 1 : 0, last = Math.min(view.length, page * PAGE + PAGE);
    $("pos").textContent = "documents " + first + "–" + last + " of " + view.length;
    $("prev").disabled = page === 0;
    $("next").disabled = page + 1 >= pages();
    markCurrent();
  }
  function markCurrent() {
    var cur = {};
    view.slice(page * PAGE, page * PAGE + PAGE).forEach(function (d) { cur[d] = 1; });
    indexList.querySelectorAll("li").forEach(function (li) {
      li.classList.toggle("cur", !!cur[li.getAttribute("data-d")]);
    });
  }
  function moreIndex() {
    var end = Math.min(view.length, indexShown + CHUNK), frag = document.createDocumentFragment();
    for (var k = indexShown; k < end; k++) {
      var d = view[k], li = el("li"), a = li.appendChild(el("a", "", docs[d].id));
      li.setAttribute("data-d", d);
      a.href = "#doc-" + d;
      a.title = docs[d].id;
      a.setAttribute("data-doc", d);
      li.appendChild(el("span", "n", counts[d]));
      if (Math.floor(k / PAGE) === page) li.className = "cur";
      frag.appendChild(li);
    }
    indexList.appendChild(frag);
    indexShown = end;
    var left = view.length - end;
    indexMore.hidden = left <= 0;
    indexMore.textContent = "show " + Math.min(CHUNK, left) + " more (" + left + " left)";
  }
  function renderIndex() { indexList.textContent = ""; indexShown = 0; moreIndex(); }
  if (window.IntersectionObserver) {
    new IntersectionObserver(function (seen) {
      if (seen[0].isIntersecting && !indexMore.hidden) moreIndex();
    }, { root: $("index") }).observe(indexMore);
  }
  function apply() { compute(); page = 0; renderPage(); renderIndex(); }
  function turn(to) {
    page = Math.max(0, Math.min(pages() - 1, to));
    renderPage();
    // to the first document of the page (below the claims, if any), not the top of the page
    window.scrollTo(0, Math.max(0, area.getBoundingClientRect().top + window.scrollY - bar.offsetHeight - 12));
  }
  function reset() {
    search.value = "";
    ruleSel.value = "";
    only.checked = false;
    boxes.forEach(function (b) { b.checked = true; });
    apply();
  }
  // Show document d (and select its statement i): turn to its page, clearing the filters
  // if they hide it.
  function goTo(d, i) {
    var pos = view.indexOf(d);
    if (pos < 0 || (i !== undefined && !flags[base[d] + i])) { reset(); pos = view.indexOf(d); }
    if (pos < 0) return;
    if (Math.floor(pos / PAGE) !== page) { page = Math.floor(pos / PAGE); renderPage(); }
    var sec = $("doc-" + d);
    var li = i === undefined ? null : sec.querySelector('li.st[data-i="' + i + '"]');
    if (li) select(li, true); else sec.scrollIntoView({ block: "start" });
  }

  // ---- selecting a statement ----
  function pieces(d) {
    var c = cache[d];
    if (!c) {
      var els = $("doc-" + d).querySelectorAll(".text>span"), offs = [];
      for (var i = 0; i < els.length; i++) offs.push(+els[i].getAttribute("data-o"));
      c = cache[d] = { els: els, offs: offs };
    }
    return c;
  }
  function mark(d, s, e, cls) {
    var c = pieces(d), lo = 0, hi = c.offs.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (c.offs[m] < s) lo = m + 1; else hi = m; }
    if (lo > 0 && (lo === c.offs.length || c.offs[lo] > s)) lo--;
    for (var i = lo; i < c.offs.length && c.offs[i] < e; i++) {
      c.els[i].classList.add(cls);
      marked.push(c.els[i]);
    }
  }
  function clear() {
    marked.forEach(function (e) { e.classList.remove("hl-sent", "hl-arg"); });
    marked = [];
    if (selected) {
      selected.classList.remove("sel");
      var sec = selected.closest("section.doc");
      if (sec) sec.classList.remove("focus");
      selected = null;
    }
  }
  function select(li, scrollText) {
    clear();
    var d = +li.getAttribute("data-d"), st = docs[d].s[+li.getAttribute("data-i")];
    selected = li;
    li.classList.add("sel");
    $("doc-" + d).classList.add("focus");
    mark(d, st.x[0], st.x[1], "hl-sent");
    var first = marked[0];
    st.a.forEach(function (a) { mark(d, a[1], a[2], "hl-arg"); });
    if (st.w && st.w.length > 3) mark(d, st.w[3], st.w[4], "hl-arg");
    if (scrollText && first) first.scrollIntoView({ block: "center" });
    else li.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var go = t.closest("a[data-go]");
    if (go) {
      ev.preventDefault();
      var at = go.getAttribute("data-go").split(" ");
      goTo(+at[0], +at[1]);
      return;
    }
    var entry = t.closest("a[data-doc]");
    if (entry) { ev.preventDefault(); goTo(+entry.getAttribute("data-doc")); return; }
    if (t.closest("#prev")) { turn(page - 1); return; }
    if (t.closest("#next")) { turn(page + 1); return; }
    if (t.closest("#index-more")) { moreIndex(); return; }
    if (t.closest("#claims-more")) { moreClaims(); return; }
    var all = t.closest("button[data-all]");
    if (all) { showAll(all); return; }
    var li = t.closest("li.st");
    if (li) { select(li, true); return; }
    var key = t.closest(".key");
    if (key) {
      key.classList.toggle("off");
      document.body.classList.toggle("off-" + key.getAttribute("data-t"));
      return;
    }
    var piece = t.closest(".text>span");
    if (piece) {
      var sec = piece.closest("section.doc"), d = +sec.getAttribute("data-d"), o = +piece.getAttribute("data-o");
      var hit = Array.prototype.find.call(sec.querySelectorAll("li.st:not([hidden])"), function (e) {
        return docs[d].s[+e.getAttribute("data-i")].a.some(function (a) { return a[1] <= o && o < a[2]; });
      });
      if (hit) select(hit, false); else clear();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") clear();
    else if (ev.key === "Enter" && ev.target.matches && ev.target.matches("li.st")) select(ev.target, true);
  });

  // ---- hover cards ----
  function annLines(lines, kind, head) {
    lines.push(["h", head + data.types[kind[0]]]);
    if (kind[1]) lines.push(["", "canonical: " + kind[1]]);
    if (kind[2]) lines.push(["", kind[2]]);
    lines.push(["m", "from " + data.src[kind[3]]]);
  }
  function argCard(chip) {
    var li = chip.closest("li.st"), d = +li.getAttribute("data-d"), doc = docs[d];
    var st = doc.s[+li.getAttribute("data-i")], k = chip.getAttribute("data-k"), lines = [];
    if (k === "w") {
      lines.push(["h", "when · " + (st.w[0] || "no date")]);
      if (st.w[1]) lines.push(["", "grain: " + st.w[1]]);
      if (st.w[2]) lines.push(["", "written: " + st.w[2]]);
    } else {
      var a = st.a[+k];
      if (a[3] >= 0) annLines(lines, kindOf(doc, a[3]), a[0] + " · ");
      else lines.push(["h", a[0] + " · no type"], ["m", "text captured by the statement's rule"]);
    }
    lines.push(["m", "statement " + st.t + " by rule " + st.r + " (" + st.f + ")"]);
    return lines;
  }
  function pieceCard(piece) {
    var sec = piece.closest("section.doc"), doc = docs[+sec.getAttribute("data-d")];
    var o = +piece.getAttribute("data-o"), lines = [], ids = piece.getAttribute("data-a"), roles = [];
    sec.querySelectorAll("li.st:not([hidden])").forEach(function (li) {
      var st = doc.s[+li.getAttribute("data-i")];
      st.a.forEach(function (a) {
        if (a[1] <= o && o < a[2]) roles.push([li === selected, a[0] + " in " + st.t + " · rule " + st.r + " (" + st.f + ")"]);
      });
    });
    roles.sort(function (x, y) { return +y[0] - +x[0]; });
    if (ids) ids.split(" ").reverse().forEach(function (i) { annLines(lines, kindOf(doc, +i), ""); });
    roles.slice(0, 6).forEach(function (r, k) { lines.push([k ? "" : "h", (k ? "" : "argument: ") + r[1]]); });
    if (roles.length > 6) lines.push(["m", "and " + (roles.length - 6) + " more"]);
    return lines;
  }
  function showTip(lines, anchor) {
    tip.textContent = "";
    lines.forEach(function (l) { tip.appendChild(el("div", l[0], l[1])); });
    tip.hidden = false;
    var r = anchor.getBoundingClientRect(), h = tip.offsetHeight, w = tip.offsetWidth;
    var top = r.bottom + 6 + h > window.innerHeight ? r.top - h - 6 : r.bottom + 6;
    tip.style.top = Math.max(4, top) + "px";
    tip.style.left = Math.max(4, Math.min(r.left, window.innerWidth - w - 8)) + "px";
  }
  document.addEventListener("mouseover", function (ev) {
    var chip = ev.target.closest(".arg"), piece = chip ? null : ev.target.closest(".text>span");
    var lines = chip ? argCard(chip) : piece ? pieceCard(piece) : [];
    if (lines.length) showTip(lines, chip || piece); else tip.hidden = true;
  });

  // ---- claim clusters: a few statements each, the rest on demand ----
  var claimList = document.querySelector("#claims .clusters"), claimsShown = 0;
  function evidenceEl(ev) {
    var li = el("li"), linked = Array.isArray(ev), kind = linked ? ev[2] : ev.k;
    if (kind) { li.className = "cl-con"; li.appendChild(el("span", "con", "✗ " + kind)); li.appendChild(document.createTextNode(" ")); }
    var doc = linked ? docs[ev[0]] : null, st = linked ? doc.s[ev[1]] : null;
    var name = String(linked ? doc.id : ev.d).split("/").pop();
    if (linked) {
      var a = li.appendChild(el("a", "go", name));
      a.href = "#doc-" + ev[0];
      a.setAttribute("data-go", ev[0] + " " + ev[1]);
    } else li.appendChild(el("span", "", name));
    var pol = linked ? st.p : ev.p !== "positive" ? ev.p : "";
    if (pol) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "pol", pol)); }
    var type = linked ? st.t : ev.t;
    var kindAt = Array.prototype.findIndex.call(boxes, function (b) { return b.value === type; });
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "badge s" + (Math.max(kindAt, 0) % 12), type));
    li.appendChild(document.createTextNode(" " + (linked ? slicer(doc)(st.x[0], st.x[1]) : ev.x)));
    return li;
  }
  function evidenceList(ul, list, from, to) {
    for (var k = from; k < to; k++) ul.appendChild(evidenceEl(list[k]));
  }
  function collapsed(ul, c, field, label) {
    var list = c[field];
    evidenceList(ul, list, 0, Math.min(FEW, list.length));
    if (list.length > FEW) {
      var li = ul.appendChild(el("li", "all")), b = li.appendChild(el("button", "more", "show all " + list.length + " " + label));
      b.type = "button";
      b.setAttribute("data-all", field);
    }
  }
  function showAll(button) {
    var li = button.closest("li.cl"), c = data.claims[+li.getAttribute("data-c")], field = button.getAttribute("data-all");
    var holder = button.parentNode, frag = document.createElement("ul");
    evidenceList(frag, c[field], FEW, c[field].length);
    while (frag.firstChild) holder.parentNode.insertBefore(frag.firstChild, holder);
    holder.remove();
  }
  function claimEl(c, n) {
    var li = el("li", "cl");
    li.id = c.id;
    li.setAttribute("data-c", n);
    var head = li.appendChild(el("div", "cl-head"));
    head.appendChild(el("span", "cl-n", c.n + " document" + (c.n !== 1 ? "s" : "")));
    head.appendChild(el("b", "", c.h));
    if (c.p !== "positive") head.appendChild(el("span", "pol", c.p));
    head.appendChild(el("span", "muted", c.k + (c.w ? " · " + c.w : "")));
    head.appendChild(el("span", "rule", c.id));
    var claim = li.appendChild(el("div", "cl-claim"));
    c.c.forEach(function (part, k) {
      if (k) claim.appendChild(document.createTextNode(" · "));
      claim.appendChild(el("span", "role", part[0]));
      claim.appendChild(document.createTextNode(" " + part[1]));
    });
    var ul = li.appendChild(el("ul", "cl-ev"));
    collapsed(ul, c, "m", "statements");
    collapsed(ul, c, "x", "contradictions");
    return li;
  }
  function moreClaims() {
    var end = Math.min(data.claims.length, claimsShown + CLAIMS), frag = document.createDocumentFragment();
    for (var k = claimsShown; k < end; k++) frag.appendChild(claimEl(data.claims[k], k));
    claimList.appendChild(frag);
    claimsShown = end;
    var left = data.claims.length - end, more = $("claims-more");
    more.hidden = left <= 0;
    more.textContent = "show " + Math.min(CLAIMS, left) + " more claims (" + left + " left)";
  }
  if (claimList && data.claims) {
    if (data.claims.length) moreClaims(); else claimList.appendChild(el("li", "none", "No claims."));
  }

  var typing = 0;
  search.addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(apply, 150); });
  search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { clearTimeout(typing); apply(); } });
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  ruleSel.addEventListener("change", apply);
  only.addEventListener("change", apply);
  apply();
})();
