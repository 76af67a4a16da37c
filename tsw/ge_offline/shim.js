// Offline stand-in for the few jQuery / Bootstrap / bootstrap-table calls that Great
// Expectations' Data Docs pages make (they load those libraries from CDNs, so offline the
// index page is blank). Written for this project: it renders the index tables as plain
// sortable HTML tables, switches tabs and toggles collapsed sections; nothing else.
(function () {
  "use strict";
  const ready = (fn) => (document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn());

  function resolve(fnOrName) {
    if (typeof fnOrName === "function") return fnOrName;
    return typeof fnOrName === "string" && typeof window[fnOrName] === "function" ? window[fnOrName] : null;
  }

  function renderTable(table, options) {
    const columns = options.columns || [];
    let rows = (options.data || []).slice();
    const sortName = options.sortName;
    if (sortName) {
      const column = columns.find((c) => c.field === sortName) || {};
      const key = column.sortName || sortName;
      rows.sort((a, b) => (a[key] > b[key] ? 1 : a[key] < b[key] ? -1 : 0));
      if (options.sortOrder === "desc") rows.reverse();
    }
    const rowAttributes = resolve(options.rowAttributes);
    table.innerHTML = "";
    const head = table.createTHead().insertRow();
    columns.forEach((c) => { const th = document.createElement("th"); th.textContent = c.title || c.field; head.appendChild(th); });
    const body = table.createTBody();
    rows.forEach((row, i) => {
      const tr = body.insertRow();
      columns.forEach((c) => { const td = tr.insertCell(); td.innerHTML = row[c.field] === undefined ? "" : row[c.field]; });
      const attrs = rowAttributes ? rowAttributes(row, i) : {};
      const href = attrs["data-href"] || row._table_row_link_path;
      if (href) {
        tr.classList.add("clickable-row");
        tr.addEventListener("click", (event) => { if (!event.target.closest("a")) window.location = href; });
      }
    });
    table.classList.add("tsw-offline-table");
  }

  function Collection(elements) { this.elements = elements.filter(Boolean); }
  Collection.prototype.each = function (fn) { this.elements.forEach(fn); return this; };
  Collection.prototype.bootstrapTable = function (options) {
    if (options && typeof options === "object") this.each((el) => renderTable(el, options));
    return this;
  };
  Collection.prototype.on = function (event, selector, handler) {
    if (typeof selector === "function") { handler = selector; selector = null; }
    return this.each((el) => el.addEventListener(event.split(".")[0], (e) => {
      if (!selector || e.target.closest(selector)) handler.call(el, e);
    }));
  };
  Collection.prototype.ready = function (fn) { ready(fn); return this; };
  Collection.prototype.parent = function () { return new Collection(this.elements.map((el) => el.parentElement)); };
  Collection.prototype.fadeIn = function () { return this.each((el) => { el.style.display = ""; }); };
  Collection.prototype.fadeOut = function () { return this.each((el) => { el.style.display = "none"; }); };
  Collection.prototype.show = Collection.prototype.fadeIn;
  Collection.prototype.hide = Collection.prototype.fadeOut;
  Collection.prototype.modal = function () { return this; };
  Collection.prototype.addClass = function (c) { return this.each((el) => el.classList.add(...c.split(" "))); };
  Collection.prototype.removeClass = function (c) { return this.each((el) => el.classList.remove(...c.split(" "))); };

  function $(arg) {
    if (typeof arg === "function") { ready(arg); return new Collection([]); }
    if (typeof arg === "string") {
      try { return new Collection(Array.from(document.querySelectorAll(arg))); } catch (e) { return new Collection([]); }
    }
    return new Collection([arg]);
  }
  window.$ = window.jQuery = $;

  ready(() => {
    document.addEventListener("click", (event) => {
      const tab = event.target.closest("[data-toggle='tab']");
      if (tab) {
        event.preventDefault();
        const nav = tab.closest(".nav");
        if (nav) nav.querySelectorAll("[data-toggle='tab']").forEach((t) => t.classList.remove("active"));
        tab.classList.add("active");
        const pane = document.querySelector(tab.getAttribute("href"));
        if (pane && pane.parentElement) {
          Array.from(pane.parentElement.children).forEach((p) => p.classList.remove("active", "show"));
          pane.classList.add("active", "show");
        }
      }
      const toggle = event.target.closest("[data-toggle='collapse']");
      if (toggle) {
        event.preventDefault();
        const target = document.querySelector(toggle.getAttribute("data-target") || toggle.getAttribute("href"));
        if (target) target.classList.toggle("show");
      }
    });
  });
})();
