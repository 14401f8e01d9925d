/* netvet report tables: filter, sort, expand a finding's evidence; chart policy switch. No dependencies. */
(function () {
  "use strict";

  function norm(s) { return (s || "").toLowerCase(); }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function initTable(table) {
    var tbody = table.tBodies[0];
    if (!tbody) { return; }
    var rows = Array.prototype.filter.call(tbody.rows, function (r) { return r.classList.contains("finding"); });
    var controls = document.querySelectorAll('[data-filter-for="' + table.id + '"]');
    var counter = document.querySelector('[data-count-for="' + table.id + '"]');
    var params = new URLSearchParams(window.location.search);

    each(controls, function (c) {
      var key = c.getAttribute("data-filter");
      if (params.has(key) && !c.hasAttribute("data-server")) { c.value = params.get(key); }
      c.addEventListener(c.tagName === "INPUT" ? "input" : "change", apply);
    });

    function closeDetails() {
      each(tbody.querySelectorAll("tr.detail"), function (d) { d.parentNode.removeChild(d); });
      each(rows, function (r) { r.classList.remove("open"); r.setAttribute("aria-expanded", "false"); });
    }

    function apply() {
      var want = {};
      var q = "";
      each(controls, function (c) {
        var key = c.getAttribute("data-filter");
        if (key === "q") { q = norm(c.value); } else if (c.value) { want[key] = c.value; }
      });
      closeDetails();
      var shown = 0;
      rows.forEach(function (r) {
        var ok = true;
        Object.keys(want).forEach(function (k) {
          if (ok && r.getAttribute("data-" + k) !== want[k]) { ok = false; }
        });
        if (ok && q) { ok = norm(r.textContent).indexOf(q) >= 0; }
        r.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (counter) { counter.textContent = shown + " of " + rows.length; }
    }

    function sortBy(th, col) {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      each(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      closeDetails();
      function key(r) {
        var cell = r.cells[col];
        var v = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
        var n = Number(v);
        return v !== "" && !isNaN(n) ? n : v.toLowerCase();
      }
      var sorted = rows.slice().sort(function (a, b) {
        var ka = key(a), kb = key(b);
        if (typeof ka === "number" && typeof kb === "number") { return (ka - kb) * dir; }
        ka = String(ka); kb = String(kb);
        return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir;
      });
      sorted.forEach(function (r) { tbody.appendChild(r); });
      rows = sorted;
    }

    each(table.tHead.rows[0].cells, function (th, col) {
      if (!th.hasAttribute("data-sortable")) { return; }
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(th, col); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(th, col); } });
    });

    function toggle(r) {
      var next = r.nextElementSibling;
      if (next && next.classList.contains("detail")) {
        next.parentNode.removeChild(next);
        r.classList.remove("open");
        r.setAttribute("aria-expanded", "false");
        return;
      }
      var tr = document.createElement("tr");
      tr.className = "detail";
      var td = document.createElement("td");
      td.colSpan = r.cells.length;
      var more = r.querySelector(".finding-more");
      if (more) {
        var m = more.cloneNode(true);
        m.hidden = false;
        td.appendChild(m);
      }
      var ev = document.getElementById(r.getAttribute("data-evidence") || "");
      if (ev) {
        var copy = ev.cloneNode(true);
        copy.removeAttribute("id");
        each(copy.querySelectorAll("[id]"), function (e) { e.removeAttribute("id"); });
        if (copy.tagName === "DETAILS") { copy.open = true; }
        td.appendChild(copy);
      }
      tr.appendChild(td);
      r.parentNode.insertBefore(tr, r.nextSibling);
      r.classList.add("open");
      r.setAttribute("aria-expanded", "true");
    }

    rows.forEach(function (r) {
      r.tabIndex = 0;
      r.setAttribute("aria-expanded", "false");
      r.addEventListener("click", function (e) {
        if (e.target.closest("a")) { return; }
        toggle(r);
      });
      r.addEventListener("keydown", function (e) { if (e.key === "Enter") { toggle(r); } });
    });

    each(document.querySelectorAll('[data-set-filter][data-table="' + table.id + '"]'), function (a) {
      a.addEventListener("click", function (e) {
        var want = JSON.parse(a.getAttribute("data-set-filter"));
        var handled = false;
        each(controls, function (c) {
          var key = c.getAttribute("data-filter");
          if (c.hasAttribute("data-server")) { return; }
          c.value = Object.prototype.hasOwnProperty.call(want, key) ? want[key] : "";
          handled = true;
        });
        if (!handled) { return; }
        e.preventDefault();
        apply();
        table.scrollIntoView();
      });
    });

    apply();
  }

  function initCharts() {
    var buttons = document.querySelectorAll("[data-chart-policy]");
    each(buttons, function (b) {
      b.addEventListener("click", function () {
        var want = b.getAttribute("data-chart-policy");
        each(buttons, function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
        each(document.querySelectorAll(".chart-group"), function (g) {
          g.hidden = g.getAttribute("data-policy") !== want;
        });
      });
    });
  }

  function init() {
    each(document.querySelectorAll("table.nv-findings"), initTable);
    initCharts();
    document.documentElement.classList.add("js");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
