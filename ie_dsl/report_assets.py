"""The fixed CSS and JavaScript of the HTML report (`report.py` adds per-type colours).

The script reads the JSON block `#iedsl-data`: `types` (annotation type names), `src`
(labels of rules and lexicon entries), and per document `n` (annotations: [type index,
canonical, attrs, source index]) and `s` (statements: t type, r rule, f file:line,
x sentence [start, end], a args [[role, start, end, annotation index or -1]]). It builds
every card with textContent, never innerHTML, so document text is never parsed as HTML.
A link `a[data-go="D I"]` (in the optional claim-clusters section) selects statement I of
document D.
"""

BASE_CSS = """\
:root{--head:0px;font:15px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;
color:#1f2328;background:#eef1f4}
body{margin:0}
[hidden]{display:none!important}
#bar{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #d0d7de;padding:8px 16px;
display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;box-shadow:0 1px 3px #0001}
h1{font-size:17px;margin:0}
.summary,.muted,.rule,.none{color:#57606a}
.filters,.legend,#f-types{display:flex;flex-wrap:wrap;gap:5px;align-items:center}
.legend{flex-basis:100%}
.lab{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#57606a;margin-right:4px}
.key{font:inherit;font-size:13px;border:1px solid;border-radius:4px;padding:0 7px;cursor:pointer;
color:#1f2328}
.key.off{background:#fff;box-shadow:none;color:#8c959f;text-decoration:line-through}
.badge{display:inline-block;border-radius:4px;padding:0 7px;font-size:13px;font-weight:600}
label.badge{cursor:pointer;font-weight:500}
label.badge input{margin:0 2px 0 0;vertical-align:-1px}
.badge .n{opacity:.8;font-weight:400}
select{font:inherit;font-size:13px}
.problems{background:#fff8c5;margin:12px 16px;padding:8px 28px;border:1px solid #d4a72c;border-radius:6px}
main{padding:12px 16px}
.doc{display:grid;grid-template-columns:minmax(0,1fr) minmax(280px,400px);gap:0 20px;background:#fff;
border:1px solid #d0d7de;border-radius:8px;margin:0 0 16px;padding:0 16px 14px;
content-visibility:auto;contain-intrinsic-size:auto 600px}
.doc h2{grid-column:1/-1;font-size:13px;font-weight:500;margin:0 -16px 10px;padding:6px 16px;
background:#f6f8fa;border-bottom:1px solid #d0d7de;border-radius:8px 8px 0 0}
.docid{font:600 13px ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.count{font-weight:600}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.text>span{scroll-margin-top:calc(var(--head) + 40px);transition:opacity .15s}
.text .a{border-radius:2px;cursor:help}
.focus .text>span:not(.hl-sent){opacity:.4}
.text .hl-sent:not(.a){background:#fff3bf}
.text .hl-arg{outline:2px solid #cf222e;outline-offset:0;font-weight:600}
.side{position:sticky;top:calc(var(--head) + 8px);align-self:start;
max-height:calc(100vh - var(--head) - 24px);overflow:auto}
.stmts{list-style:none;margin:0;padding:0}
.st{border:1px solid #d0d7de;border-radius:6px;padding:5px 8px;margin:0 0 6px;cursor:pointer;background:#fff}
.st:hover{border-color:#8c959f}
.st.sel{border-color:#cf222e;box-shadow:0 0 0 2px #cf222e33;background:#fffafa}
.st-head{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline}
.rule{font-size:12px;font-family:ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.pol{font-size:12px;font-weight:600;color:#cf222e}
.args{margin-top:2px}
.arg{display:inline-block;border-radius:4px;padding:0 6px;margin:3px 5px 0 0;font-size:13px;cursor:help;
background:#f6f8fa;box-shadow:inset 0 0 0 1px #d0d7de}
.arg .role{color:#57606a;font-size:12px}
.fields{font-size:12px;color:#57606a}
#tip{position:fixed;z-index:10;max-width:440px;background:#24292f;color:#f6f8fa;font-size:13px;line-height:1.45;
padding:7px 10px;border-radius:6px;pointer-events:none;box-shadow:0 4px 14px #0004}
#tip .h{font-weight:700}
#tip .m{color:#afb8c1}
#tip div+div.h{margin-top:5px;border-top:1px solid #57606a;padding-top:4px}
.claims{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:0 0 16px;padding:4px 16px 10px}
.claims h2{font-size:15px;margin:4px 0 6px}
.clusters{list-style:none;margin:0;padding:0}
.cl{border-top:1px solid #d0d7de;padding:6px 0}
.cl-head{display:flex;flex-wrap:wrap;gap:2px 10px;align-items:baseline}
.cl-n{font-weight:600}
.cl-claim .role{color:#57606a;font-size:12px}
.cl-ev{margin:2px 0 0;padding-left:20px;font-size:13px}
.cl-con .con{color:#cf222e;font-weight:600}
a.go{font-family:ui-monospace,"DejaVu Sans Mono",monospace;color:#0969da}
@media (max-width:800px){.doc{grid-template-columns:1fr}.side{position:static;max-height:none}}
"""

SCRIPT = """\
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("iedsl-data").textContent);
  var root = document.documentElement, bar = document.getElementById("bar");
  var tip = document.getElementById("tip");
  var docs = document.querySelectorAll("section.doc");
  var cache = {}, marked = [], selected = null;

  function setHead() { root.style.setProperty("--head", bar.offsetHeight + "px"); }
  setHead();
  window.addEventListener("resize", setHead);

  function pieces(d) {
    var c = cache[d];
    if (!c) {
      var els = docs[d].querySelectorAll(".text>span"), offs = [];
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
    marked.forEach(function (el) { el.classList.remove("hl-sent", "hl-arg"); });
    marked = [];
    if (selected) {
      selected.classList.remove("sel");
      selected.closest("section.doc").classList.remove("focus");
      selected = null;
    }
  }
  function select(li, scrollText) {
    clear();
    var d = +li.getAttribute("data-d"), st = data.docs[d].s[+li.getAttribute("data-i")];
    selected = li;
    li.classList.add("sel");
    docs[d].classList.add("focus");
    mark(d, st.x[0], st.x[1], "hl-sent");
    var first = marked[0];
    st.a.forEach(function (a) { mark(d, a[1], a[2], "hl-arg"); });
    if (scrollText && first) first.scrollIntoView({ block: "center" });
    else li.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("click", function (ev) {
    var go = ev.target.closest("a[data-go]");
    if (go) {
      var at = go.getAttribute("data-go").split(" ");
      var target = docs[+at[0]] && docs[+at[0]].querySelector('li.st[data-i="' + (+at[1]) + '"]');
      if (target) { ev.preventDefault(); select(target, true); }
      return;
    }
    var li = ev.target.closest("li.st");
    if (li) { select(li, true); return; }
    var key = ev.target.closest(".key");
    if (key) {
      key.classList.toggle("off");
      document.body.classList.toggle("off-" + key.getAttribute("data-t"));
      return;
    }
    var piece = ev.target.closest(".text>span");
    if (piece) {
      var doc = piece.closest("section.doc"), o = +piece.getAttribute("data-o");
      var hit = Array.prototype.find.call(doc.querySelectorAll("li.st:not([hidden])"), function (el) {
        return data.docs[+doc.getAttribute("data-d")].s[+el.getAttribute("data-i")].a.some(function (a) {
          return a[1] <= o && o < a[2];
        });
      });
      if (hit) select(hit, false); else clear();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") clear();
    else if (ev.key === "Enter" && ev.target.matches && ev.target.matches("li.st")) select(ev.target, true);
  });

  function annLines(lines, ann, head) {
    lines.push(["h", head + data.types[ann[0]]]);
    if (ann[1]) lines.push(["", "canonical: " + ann[1]]);
    if (ann[2]) lines.push(["", ann[2]]);
    lines.push(["m", "from " + data.src[ann[3]]]);
  }
  function argCard(chip) {
    var li = chip.closest("li.st"), d = +li.getAttribute("data-d");
    var st = data.docs[d].s[+li.getAttribute("data-i")], a = st.a[+chip.getAttribute("data-k")];
    var lines = [];
    if (a[3] >= 0) annLines(lines, data.docs[d].n[a[3]], a[0] + " · ");
    else lines.push(["h", a[0] + " · no type"], ["m", "text captured by the statement's rule"]);
    lines.push(["m", "statement " + st.t + " by rule " + st.r + " (" + st.f + ")"]);
    return lines;
  }
  function pieceCard(piece) {
    var doc = piece.closest("section.doc"), dd = data.docs[+doc.getAttribute("data-d")];
    var o = +piece.getAttribute("data-o"), lines = [], ids = piece.getAttribute("data-a");
    var roles = [];
    doc.querySelectorAll("li.st:not([hidden])").forEach(function (li) {
      var st = dd.s[+li.getAttribute("data-i")];
      st.a.forEach(function (a) {
        if (a[1] <= o && o < a[2]) {
          roles.push([li === selected, a[0] + " in " + st.t + " · rule " + st.r + " (" + st.f + ")"]);
        }
      });
    });
    roles.sort(function (x, y) { return +y[0] - +x[0]; });
    if (ids) ids.split(" ").reverse().forEach(function (i) { annLines(lines, dd.n[+i], ""); });
    roles.slice(0, 6).forEach(function (r, k) {
      lines.push([k ? "" : "h", (k ? "" : "argument: ") + r[1]]);
    });
    if (roles.length > 6) lines.push(["m", "and " + (roles.length - 6) + " more"]);
    return lines;
  }
  function showTip(lines, el) {
    tip.textContent = "";
    lines.forEach(function (l) {
      var div = document.createElement("div");
      div.className = l[0];
      div.textContent = l[1];
      tip.appendChild(div);
    });
    tip.hidden = false;
    var r = el.getBoundingClientRect(), h = tip.offsetHeight, w = tip.offsetWidth;
    var top = r.bottom + 6 + h > window.innerHeight ? r.top - h - 6 : r.bottom + 6;
    tip.style.top = Math.max(4, top) + "px";
    tip.style.left = Math.max(4, Math.min(r.left, window.innerWidth - w - 8)) + "px";
  }
  document.addEventListener("mouseover", function (ev) {
    var chip = ev.target.closest(".arg"), piece = chip ? null : ev.target.closest(".text>span");
    var lines = chip ? argCard(chip) : piece ? pieceCard(piece) : [];
    if (lines.length) showTip(lines, chip || piece); else tip.hidden = true;
  });

  var boxes = document.querySelectorAll("#f-types input"), ruleSel = document.getElementById("f-rule");
  var only = document.getElementById("f-only");
  function applyFilters() {
    var on = {}, rule = ruleSel.value, shown = 0;
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    docs.forEach(function (doc) {
      var n = 0;
      doc.querySelectorAll("li.st").forEach(function (li) {
        var ok = on[li.getAttribute("data-type")] !== false;
        ok = ok && (!rule || li.getAttribute("data-rule") === rule);
        li.hidden = !ok;
        if (ok) n++;
      });
      doc.querySelector(".count").textContent = n;
      doc.hidden = only.checked && n === 0;
      shown += n;
    });
    document.getElementById("shown").textContent = shown;
    if (selected && (selected.hidden || selected.closest("section.doc").hidden)) clear();
  }
  boxes.forEach(function (b) { b.addEventListener("change", applyFilters); });
  ruleSel.addEventListener("change", applyFilters);
  only.addEventListener("change", applyFilters);
})();
"""
