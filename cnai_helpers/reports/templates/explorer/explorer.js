// cnai registry explorer: every filing, searched and filtered in the browser. DataTables (from
// itables' offline bundle) draws the table, its pages, sort buttons and counts; it asks this
// script for each page in its "server-side" mode, answered here without a server: the selection
// is filtered and sorted on index arrays (bench/bench_explorer.py: a search redraws in about a
// fifth of the time DataTables' own client-side search takes on the same rows). The matching is
// the one of
// cnai_helpers/filers.py (and `cnai registry search`): NFKC and lower case; a filing's text is
// its number, algorithm or service name, product and model token, then its filer's text
// (names, pinyin, initials); every whitespace-separated part of the query must occur in it.
(function () {
  "use strict";
  var t0 = performance.now();
  var D = window.CNAI_EXPLORER;
  var DataTable = window.cnaiDataTables.DataTable;
  // row fields (see cnai_helpers/reports/explorer.py ROW_COLUMNS)
  var REG = 0, NUM = 1, ALGO = 2, PROD = 3, TOKEN = 4, FILER = 5, NAME = 6, BATCH = 7,
    PROV = 8, CITY = 9, ROLE = 10, ORG = 11, SECTOR = 12, CANCELLED = 13, TEXT = 14,
    SECTOR_HOW = 15, SECTOR_RULES = 16;
  var SEP = "\n";

  function norm(s) { return s == null ? "" : String(s).normalize("NFKC").toLowerCase(); }
  function terms(q) { return norm(q).split(/\s+/).filter(function (t) { return t; }); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // each filing's searchable text, made at the first search (not at load)
  var text = null;
  function texts() {
    if (text === null) {
      // the filing's own text: given where NFKC changes it (see explorer.py search_overrides),
      // else its fields lower-cased
      text = D.rows.map(function (r) {
        var own = r[TEXT] != null ? r[TEXT] : (r[NUM] || "").toLowerCase() + SEP +
          (r[ALGO] || "").toLowerCase() + SEP + (r[PROD] || "").toLowerCase() + SEP +
          (r[TOKEN] || "").toLowerCase();
        return own + SEP + D.filers[r[FILER]][1];
      });
    }
    return text;
  }
  function index(list) {
    var m = {};
    list.forEach(function (v, i) { m[Array.isArray(v) ? v[0] : v] = i; });
    return m;
  }
  var IDX = {
    registry: index(D.registries), province: index(D.provinces), city: index(D.cities),
    role: index(D.roles), org: index(D.org_types), sector: index(D.sectors), batch: index(D.batches)
  };
  var FIELDS = ["q", "registry", "from", "to", "province", "city", "role", "org", "sector", "status"];
  var HIDDEN = ["filer"];  // set from a link (#filer=<id>): one filer's filings
  var state = {};

  function selected(name, col) {
    var v = state[name];
    if (!v) return null;
    var i = IDX[name][v];
    return { col: col, i: i === undefined ? -1 : i };
  }
  function matcher() {
    var q = terms(state.q);
    var eq = [
      selected("registry", REG), selected("province", PROV), selected("city", CITY),
      selected("role", ROLE), selected("org", ORG), selected("sector", SECTOR)
    ].filter(Boolean);
    var from = state.from ? IDX.batch[state.from] : null;
    var to = state.to ? IDX.batch[state.to] : null;
    var status = state.status;
    var t = q.length ? texts() : null;
    var filer = state.filer ? D.filers.findIndex(function (x) { return x[0] === state.filer; }) : null;
    return function (r, i) {
      if (filer != null && r[FILER] !== filer) return false;
      for (var k = 0; k < eq.length; k++) if (r[eq[k].col] !== eq[k].i) return false;
      if (from != null && r[BATCH] < from) return false;
      if (to != null && r[BATCH] > to) return false;
      if (status === "active" && r[CANCELLED]) return false;
      if (status === "cancelled" && !r[CANCELLED]) return false;
      for (var j = 0; j < q.length; j++) if (t[i].indexOf(q[j]) < 0) return false;
      return true;
    };
  }
  readHash();  // the selection a link asked for (#q=…&province=…), shown at the first draw
  var test = matcher();
  // sort keys of each column (built when first asked for): numbers for batches, else text
  var KEYS = {};
  function sortKey(col) {
    if (KEYS[col]) return KEYS[col];
    var src = COLUMNS[col].data, lists = {};
    lists[REG] = D.registries; lists[PROV] = D.provinces; lists[CITY] = D.cities;
    lists[ROLE] = D.roles; lists[ORG] = D.org_types; lists[SECTOR] = D.sectors;
    KEYS[col] = D.rows.map(function (r) {
      var v = r[src];
      if (src === BATCH) return v;
      if (src === NAME) return D.names[v];
      if (lists[src]) return v == null ? "" : lists[src][v][1];
      return v == null ? "" : String(v);
    });
    return KEYS[col];
  }
  var selection = [], selectionKey = null;
  // the indexes of the rows selected, in the table's order
  function select(order) {
    var key = JSON.stringify([state, order]);
    if (key === selectionKey) return selection;
    var out = [];
    for (var i = 0; i < D.rows.length; i++) if (test(D.rows[i], i)) out.push(i);
    var by = (order || []).map(function (o) {
      return { k: sortKey(o.column), s: o.dir === "desc" ? -1 : 1 };
    });
    if (by.length) {
      out.sort(function (a, b) {
        for (var j = 0; j < by.length; j++) {
          var x = by[j].k[a], y = by[j].k[b];
          if (x !== y) return (x < y ? -1 : 1) * by[j].s;
        }
        return a - b;
      });
    }
    selection = out;
    selectionKey = key;
    return out;
  }

  // a value's label: the short one of the cell where the list has one ([code, label, short])
  function label(list) {
    return function (v, type) {
      if (v == null || v < 0) return type === "sort" || type === "type" ? "" : "—";
      var x = list[v];
      x = Array.isArray(x) ? (type === "display" && x[2] ? x[2] : x[1]) : x;
      return type === "display" ? esc(x) : x;
    };
  }
  var plain = function (v, type) {
    if (v == null || v === "") return type === "display" ? "—" : "";
    return type === "display" ? esc(v) : v;
  };
  // the registry's short name in the cell, its full name (with the Chinese) as the tooltip
  function registry(v, type) {
    if (v == null || v < 0) return type === "display" ? "—" : "";
    var x = D.registries[v];
    return type === "display" ? '<span title="' + esc(x[1]) + '">' + esc(x[2] || x[1]) + "</span>" : x[1];
  }
  // the filer first (what the page is for: it stays in view while the rest scrolls), then what
  // it filed, where and when; on a phone each row is a card of "label: value" lines
  var COLUMNS = [
    {
      title: "Filer", data: NAME, className: "filer",
      render: function (v, type, r) {
        var name = D.names[v];
        if (type !== "display") return name;
        var en = D.filers[r[FILER]][2];  // the English name the project's table gives, if any
        return '<a href="../filer/' + esc(D.filers[r[FILER]][0]) + '.html">' + esc(name) + "</a>" +
          (en ? ' <span class="cnai-en" lang="en">— ' + esc(en) + "</span>" : "");
      }
    },
    { title: "Algorithm or service", data: ALGO, render: plain, className: "wide" },
    { title: "Registry", data: REG, render: registry },
    {
      title: "First listed", data: BATCH, className: "num",
      render: function (v, type) { return type === "sort" || type === "type" ? v : D.batches[v]; }
    },
    { title: "Province", data: PROV, render: label(D.provinces) },
    { title: "City", data: CITY, render: label(D.cities) },
    { title: "Filing number", data: NUM, render: plain, className: "number" },
    { title: "Product", data: PROD, render: plain },
    { title: "Role or category", data: ROLE, render: label(D.roles) },
    { title: "Organisation type", data: ORG, render: label(D.org_types) },
    {
      // a coder's label is marked, with the rules' call as the tooltip where it differs
      title: "Sector", data: SECTOR,
      render: function (v, type, r) {
        var shown = label(D.sectors)(v, type);
        var mark = D.sector_hows[r[SECTOR_HOW]][2];
        if (type !== "display" || !mark) return shown;
        var tip = r[SECTOR_RULES] !== r[SECTOR] && r[SECTOR_RULES] != null
          ? ' title="The rules\' call: ' + esc(D.sectors[r[SECTOR_RULES]][1]) + '"' : "";
        return "<span" + tip + ">" + shown + ' <small class="cnai-hand">(' + mark + ")</small></span>";
      }
    },
    {
      title: "Status", data: CANCELLED,
      render: function (v) { return v ? "Cancelled " + v : "Active"; }
    }
  ];
  COLUMNS.forEach(function (c) {
    // each cell says its column, for the card layout of a narrow screen (explorer.css)
    // a missing value ("—") is left out of a card (a gen-AI filing has no city, product, role)
    c.createdCell = function (td) {
      td.setAttribute("data-label", c.title);
      td.classList.toggle("cnai-empty", td.textContent.trim() === "\u2014" || td.textContent.trim() === "");
    };
  });
  var ORDER = [[3, "desc"], [0, "asc"]];  // newest lists first, then by filer
  var table = new DataTable("#filings", {
    serverSide: true,
    ajax: function (req, callback) {
      var rows = select(req.order);
      var end = req.length < 0 ? rows.length : req.start + req.length;
      callback({
        draw: req.draw,
        recordsTotal: D.rows.length,
        recordsFiltered: rows.length,
        data: rows.slice(req.start, end).map(function (i) { return D.rows[i]; })
      });
    },
    searching: false,
    pageLength: 25,
    lengthMenu: [10, 25, 100, 500],
    order: ORDER,
    autoWidth: false,
    layout: { topStart: "info", topEnd: "paging", bottomStart: "pageLength", bottomEnd: "paging" },
    language: {
      info: "Filings _START_ to _END_ of _TOTAL_",
      infoFiltered: "(selected from _MAX_)",
      infoEmpty: "No filing matches",
      emptyTable: "No filing matches",
      zeroRecords: "No filing matches: loosen a filter or shorten the search"
    },
    columns: COLUMNS
  });

  // the box DataTables scrolls the table in is the site's scroll box: shadows at its hidden
  // edges and a cue line when the table is wider than the page (site.js, on load and resize)
  var scroller = document.getElementById("filings").parentElement;
  if (scroller && scroller.classList.contains("dt-layout-cell")) scroller.classList.add("cnai-table-wrap");

  var countEl = document.getElementById("cnai-count");
  var coverageEl = document.getElementById("cnai-sector-known");
  var UNKNOWN = ["unclassified", "unknown"].map(function (v) { return IDX.sector[v]; });
  function showCount() {
    var n = selection.length;
    countEl.textContent = n === D.rows.length
      ? "All " + D.rows.length.toLocaleString("en") + " filings"
      : n.toLocaleString("en") + " of " + D.rows.length.toLocaleString("en") + " filings match";
    // how much of the selection has a known sector (not unclassified by the rules or unknown to the coder)
    var known = 0, hand = 0;
    selection.forEach(function (i) {
      var r = D.rows[i];
      if (UNKNOWN.indexOf(r[SECTOR]) < 0) known++;
      if (D.sector_hows[r[SECTOR_HOW]][2]) hand++;
    });
    coverageEl.textContent = n ? "Sector known for " + (100 * known / n).toFixed(1) + "% of these filings (" +
      known.toLocaleString("en") + " of " + n.toLocaleString("en") + "; " + hand.toLocaleString("en") +
      " coder-labelled)" : "";
  }

  function readForm() {
    FIELDS.forEach(function (f) { state[f] = document.getElementById("f-" + f).value.trim(); });
  }
  // the folded filters' summary says how many are set ("Filters (2 set)")
  var setEl = document.getElementById("f-set");
  function showSet() {
    var n = FIELDS.filter(function (f) { return f !== "q" && state[f]; }).length;
    setEl.textContent = n ? " (" + n + " set)" : "";
  }
  var filerNote = document.getElementById("cnai-filer-note");
  function showFiler() {
    if (!state.filer) { filerNote.hidden = true; return; }
    var i = D.filers.findIndex(function (x) { return x[0] === state.filer; });
    var r = null;  // its latest filing (the name it uses now)
    D.rows.forEach(function (row) { if (row[FILER] === i && (!r || row[BATCH] > r[BATCH])) r = row; });
    filerNote.hidden = false;
    filerNote.querySelector("span").textContent = r ? D.names[r[NAME]] : state.filer;
  }
  function writeForm() {
    FIELDS.forEach(function (f) { document.getElementById("f-" + f).value = state[f] || ""; });
  }
  function writeHash() {
    var p = new URLSearchParams();
    FIELDS.concat(HIDDEN).forEach(function (f) { if (state[f]) p.set(f, state[f]); });
    var h = p.toString();
    history.replaceState(null, "", h ? "#" + h : location.pathname + location.search);
  }
  function readHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    FIELDS.concat(HIDDEN).forEach(function (f) { state[f] = p.get(f) || ""; });
  }
  // apply a selection ({q, registry, …}; missing keys keep their value): filter, draw, count;
  // returns the milliseconds it took
  function apply(changes) {
    var t = performance.now();
    if (changes) { Object.assign(state, changes); writeForm(); } else readForm();
    test = matcher();
    showFiler();
    showSet();
    table.draw();
    showCount();
    window.dispatchEvent(new Event("resize"));  // site.js: the scroll cue follows the new width
    writeHash();
    return performance.now() - t;
  }

  function csvCell(v) {
    v = v == null ? "" : String(v);
    return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  var CSV_COLUMNS = ["registry", "filing_number", "first_batch", "entity_name", "filer_id",
    "algorithm_name", "application_product", "province_code", "province", "city_code", "city",
    "role_or_category", "org_type", "sector", "sector_source", "sector_by_rules", "status",
    "cancelled_month"];
  function code(list, v) { return v == null || v < 0 ? "" : (Array.isArray(list[v]) ? list[v][0] : list[v]); }
  function name(list, v) { return v == null || v < 0 ? "" : (Array.isArray(list[v]) ? list[v][1] : list[v]); }
  // the current selection in the table's order, as CSV text
  function selectionCsv() {
    var lines = [CSV_COLUMNS.join(",")];
    selection.forEach(function (i) {
      var r = D.rows[i];
      lines.push([
        code(D.registries, r[REG]), r[NUM], D.batches[r[BATCH]], D.names[r[NAME]],
        D.filers[r[FILER]][0], r[ALGO], r[PROD], code(D.provinces, r[PROV]),
        name(D.provinces, r[PROV]), code(D.cities, r[CITY]), name(D.cities, r[CITY]),
        code(D.roles, r[ROLE]), code(D.org_types, r[ORG]), code(D.sectors, r[SECTOR]),
        name(D.sector_hows, r[SECTOR_HOW]), code(D.sectors, r[SECTOR_RULES]),
        r[CANCELLED] ? "cancelled" : "active", r[CANCELLED] || ""
      ].map(csvCell).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }
  function download() {
    var blob = new Blob(["\ufeff" + selectionCsv()], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "cnai-filings-selection.csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  var form = document.getElementById("cnai-filters");
  form.addEventListener("input", function () { apply(); });
  form.addEventListener("change", function () { apply(); });
  document.getElementById("f-clear").addEventListener("click", function () {
    var empty = {};
    FIELDS.concat(HIDDEN).forEach(function (f) { empty[f] = ""; });
    apply(empty);
  });
  document.getElementById("cnai-filer-all").addEventListener("click", function () {
    apply({ filer: "" });
  });
  var csvButton = document.getElementById("cnai-csv");
  csvButton.addEventListener("click", download);
  csvButton.disabled = false;
  window.addEventListener("hashchange", function () { readHash(); apply(Object.assign({}, state)); });

  writeForm();
  showFiler();
  showSet();
  showCount();
  // for the browser test and the curious: timings and the same matching as the command line
  window.cnaiExplorer = {
    apply: apply, selectionCsv: selectionCsv, state: state, table: table, columns: COLUMNS,
    order: ORDER,
    texts: texts,
    readyMs: performance.now(), initMs: performance.now() - t0
  };
  document.documentElement.setAttribute("data-explorer-ready", "1");
  // the search texts, made once the table shows (the first search then answers at once)
  setTimeout(function () {
    texts();
    window.cnaiExplorer.indexedMs = performance.now();
    document.documentElement.setAttribute("data-explorer-indexed", "1");
  }, 0);
})();
