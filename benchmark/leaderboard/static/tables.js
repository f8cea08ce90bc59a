// Sortable and filterable tables. Without JavaScript the tables still read; this only adds
// sort buttons to headers and a select for each column marked data-filter.
"use strict";

function cellKey(row, column, numeric) {
  const cell = row.cells[column];
  const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
  if (!numeric) return raw.toLowerCase();
  const value = parseFloat(raw);
  return Number.isNaN(value) ? -Infinity : value;
}

function sortBy(table, column, header) {
  const numeric = header.dataset.numeric === "1";
  const descending = header.getAttribute("aria-sort") === "ascending";
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellKey(a, column, numeric);
    const y = cellKey(b, column, numeric);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  for (const th of table.tHead.rows[0].cells) th.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  for (const row of rows) body.appendChild(row);
}

function applyFilters(table, selects) {
  for (const row of table.tBodies[0].rows) {
    const shown = selects.every((select) => {
      const column = Number(select.dataset.column);
      return select.value === "" || row.cells[column].textContent.trim() === select.value;
    });
    row.hidden = !shown;
  }
}

function addFilters(table) {
  const box = document.querySelector(`.filters[data-table="${table.id}"]`);
  if (!box) return;
  const selects = [];
  Array.from(table.tHead.rows[0].cells).forEach((th, column) => {
    if (th.dataset.filter !== "1") return;
    const values = new Set(Array.from(table.tBodies[0].rows, (r) => r.cells[column].textContent.trim()));
    const label = document.createElement("label");
    label.textContent = th.textContent.trim();
    const select = document.createElement("select");
    select.dataset.column = String(column);
    select.setAttribute("aria-label", `filter by ${label.textContent}`);
    select.add(new Option("all", ""));
    for (const value of Array.from(values).sort()) select.add(new Option(value, value));
    select.addEventListener("change", () => applyFilters(table, selects));
    label.appendChild(select);
    box.appendChild(label);
    selects.push(select);
  });
}

function addSorting(table) {
  Array.from(table.tHead.rows[0].cells).forEach((th, column) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", () => sortBy(table, column, th));
  });
}

// The compare form: two selects; a page exists for every pair (its URL names the better ranked
// first). Without JavaScript the form stays hidden and the list of every pair is there instead.
function addCompare(form) {
  const pairs = JSON.parse(form.dataset.pairs);
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const a = form.elements.a.value;
    const b = form.elements.b.value;
    const href = pairs[`${a} ${b}`] || pairs[`${b} ${a}`];
    if (href) window.location.href = href;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.data")) {
    if (!table.tBodies[0] || !table.tHead) continue;
    addSorting(table);
    addFilters(table);
  }
  for (const form of document.querySelectorAll("form.compare")) addCompare(form);
});
