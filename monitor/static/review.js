// The review page's keyboard and in-place marking. Without this script every form
// still posts and the server sends the reader back to the same place; with it, marks
// are sent with fetch() and the row changes where it is.
//   j / k      next, previous item ([data-item]: a hit, a story)
//   r / i / s  mark it relevant, irrelevant, seen;  u  back to new
//   o          open the article (its data-link, in a new tab; else its page)
//   Enter      open its page;  /  search;  ?  the help (Esc closes it)
"use strict";

const MARK_KEYS = { r: "relevant", i: "irrelevant", s: "seen", u: "new" };
const NARROW = "(max-width: 40rem)";
let current = null;

function items() {
  return [...document.querySelectorAll("[data-item]")];
}

function select(item) {
  if (current) current.classList.remove("current");
  current = item;
  if (!item) return;
  item.classList.add("current");
  item.scrollIntoView({ block: "nearest" });
}

function move(step) {
  const all = items();
  if (!all.length) return;
  const at = all.indexOf(current);
  const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : at + step;
  select(all[Math.max(0, Math.min(all.length - 1, next))]);
}

function showCounts(counts) {
  for (const [kind, count] of Object.entries(counts || {})) {
    for (const badge of document.querySelectorAll(`[data-new="${kind}"]`)) {
      badge.textContent = `${count} new`;
      badge.hidden = count === 0;
    }
  }
}

function showStatus(item, status) {
  item.dataset.status = status;
  item.className = item.className.replace(/\bstatus-\w+/, "").trim();
  if (item.tagName === "LI") item.classList.add(`status-${status}`);
  for (const badge of item.querySelectorAll(".badge")) {
    if (badge.closest("[data-item]") !== item) continue;
    badge.className = `badge ${status}`;
    badge.textContent = status;
  }
  for (const button of item.querySelectorAll("form[data-mark] button")) {
    button.classList.toggle("primary", button.value === status && status !== "new");
    if (button.value === "new") button.hidden = status === "new";
  }
}

async function post(form, submitter) {
  const answer = await fetch(form.action, {
    method: "POST",
    body: new FormData(form, submitter),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!answer.ok) throw new Error(`${answer.status}`);
  return answer.json();
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  const kind = ["mark", "note", "bulk"].find((k) => k in form.dataset);
  if (!kind) return;
  if (kind === "bulk" && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  event.preventDefault();
  const item = form.closest("[data-item]");
  try {
    const done = await post(form, event.submitter);
    showCounts(done.new);
    if (kind === "mark" && item) showStatus(item, done.status);
    if (kind === "note" && item) {
      const shown = item.querySelector(".note-text");
      if (shown) {
        shown.textContent = `Note: ${done.note || ""}`;
        shown.hidden = !done.note;
      }
    }
    if (kind === "bulk") {
      for (const each of items()) if (each.dataset.status === "new") showStatus(each, "seen");
    }
  } catch (error) {
    // The server's own page says what went wrong (a stale form, a lost connection).
    HTMLFormElement.prototype.submit.call(form);
  }
});

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

function openHelp() {
  const help = document.getElementById("keys");
  if (help && !help.open) help.showModal();
}

function search() {
  const box = document.querySelector("[data-search]") || document.querySelector("header input[name=q]");
  if (!box) return;
  const folded = box.closest("details");
  if (folded) folded.open = true;
  box.focus();
  box.select();
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if (document.getElementById("keys")?.open) return; // the dialog has Esc itself
  const key = event.key;
  if (key === "Enter" && event.target !== document.body) return; // a link's, a button's
  if (key === "?") openHelp();
  else if (key === "/") search();
  else if (key === "j") move(1);
  else if (key === "k") move(-1);
  else if (key in MARK_KEYS || key === "o" || key === "Enter") {
    if (!current) return;
    if (key === "o" || key === "Enter") {
      const link = current.dataset.link;
      const page = current.querySelector(".line a.headline")?.href; // a row's own, not a story's articles
      if (key === "o" && link) window.open(link, "_blank", "noopener");
      else if (page) window.location.href = page;
      else return;
    } else {
      const button = current.querySelector(`form[data-mark] button[value="${MARK_KEYS[key]}"]`);
      if (!button) return;
      button.form.requestSubmit(button);
    }
  } else return;
  event.preventDefault();
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-keys]")) openHelp();
  const item = event.target.closest("[data-item]");
  if (item && !event.target.closest("a, button, input, select, summary")) select(item);
});

document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia(NARROW).matches) {
    for (const fold of document.querySelectorAll("details[data-fold]")) fold.open = false;
  }
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.matches("[data-item]")) select(target);
  else if (items().length === 1 && items()[0].classList.contains("detail")) current = items()[0];
});
