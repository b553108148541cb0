// cnai report site: click a column header of a table to sort it (numbers by value, "—" last).
(function () {
  "use strict";
  function key(text) {
    var t = text.trim();
    if (t === "" || t === "\u2014") return null;
    var m = t.replace(/[,\s%×x]/g, "").replace("\u2212", "-").match(/^-?\d+(\.\d+)?/);
    if (m && /^[-\u2212]?[\d.,\s]+(%|×|x)?$/.test(t)) return parseFloat(m[0]);
    return t.toLowerCase();
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    // the first click sorts numbers largest first (counts, shares), text A to Z
    var numeric = rows.some(function (r) {
      return typeof key(r.cells[col] ? r.cells[col].textContent : "") === "number";
    });
    var now = th.getAttribute("aria-sort");
    var asc = now ? now !== "ascending" : !numeric;
    rows.sort(function (a, b) {
      var x = key(a.cells[col] ? a.cells[col].textContent : "");
      var y = key(b.cells[col] ? b.cells[col].textContent : "");
      if (x === null) return y === null ? 0 : 1;
      if (y === null) return -1;
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  }
  // a box whose content is wider than it (a wide table, a long line) says so: shadows at its
  // hidden edges (CSS, class cnai-overflows) and a line above it
  function markOverflow() {
    document.querySelectorAll(".cnai-table-wrap, .jp-OutputArea-output, .cnai-figure-scroll")
      .forEach(function (box) {
        var over = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
        box.classList.toggle("cnai-overflows", over);
        var cue = box.previousElementSibling;
        var has = cue && cue.classList.contains("cnai-scroll-cue");
        if (over && !has) {
          cue = document.createElement("p");
          cue.className = "cnai-scroll-cue";
          cue.textContent = "Wider than the page: scroll sideways in the box below to see every column \u2192";
          box.parentNode.insertBefore(cue, box);
          has = true;
        }
        if (has) cue.hidden = !over;
      });
  }
  // on a narrow screen a table wider than its box becomes one card per row (CSS, class
  // cnai-as-cards); one that fits stays a table (cards would triple its height); the claims
  // ledger is always cards there
  var NARROW = "(max-width: 640px)";
  function reflowTables() {
    var narrow = window.matchMedia(NARROW).matches;
    document.querySelectorAll("table.cnai-reflow").forEach(function (table) {
      table.classList.remove("cnai-as-cards");
      if (!narrow) return;
      var box = table.parentElement;
      // any overflow, even a pixel, makes cards: a table a pixel too wide hides its last column
      if (table.classList.contains("cnai-ledger") || table.scrollWidth > box.clientWidth) {
        table.classList.add("cnai-as-cards");
      }
    });
  }
  var FOLD_OPEN_MAX_PX = 600;  // a fold taller than this (two thirds of a laptop screen) stays folded
  function layout() { reflowTables(); markOverflow(); }
  window.addEventListener("load", layout);
  window.addEventListener("resize", layout);
  document.addEventListener("toggle", layout, true);  // a fold opened: measure what it shows
  document.addEventListener("DOMContentLoaded", function () {
    // the contents: open beside the text on wide screens, one collapsed line on narrow ones
    var toc = document.querySelector(".cnai-toc details");
    if (toc && window.matchMedia("(min-width: 1100px)").matches) toc.open = true;
    // a link to something inside a folded part (a glossary term, a row of a folded table)
    // opens the fold and scrolls to it
    function openTarget() {
      var id = decodeURIComponent(location.hash.slice(1));
      var el = id && document.getElementById(id);
      if (!el) return;
      for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
        d.open = true;
      }
      el.scrollIntoView();
    }
    window.addEventListener("hashchange", openTarget);
    openTarget();
    // long reference tables fold on a phone (one line each); where there is room they open,
    // unless one would take most of a laptop's screen (FOLD_OPEN_MAX_PX): a reference table
    // that long stays one line at every width (desktop pages were 22,000-27,000 px tall)
    if (window.matchMedia("(min-width: 700px)").matches) {
      var linked = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      document.querySelectorAll("details.cnai-fold:not(.cnai-fold-long)").forEach(function (d) {
        d.open = true;
        if (d.getBoundingClientRect().height > FOLD_OPEN_MAX_PX && !(linked && d.contains(linked))) {
          d.open = false;
        }
      });
    }
    document.querySelectorAll("table.cnai-table").forEach(function (table) {
      if (!table.tHead || !table.tBodies[0] || table.tBodies[0].rows.length < 3) return;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        th.classList.add("sortable");
        th.tabIndex = 0;
        th.title = "Sort by this column";
        th.addEventListener("click", function () { sortBy(table, i, th); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, i, th); }
        });
      });
    });
  });
})();
