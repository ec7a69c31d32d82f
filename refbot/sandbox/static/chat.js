// The sandbox chat page. Every piece of message text reaches the page through textContent,
// never parsed as markup: what refbot sends (catalog titles, patron words) is untrusted text.
"use strict";

const POLL_MS = 1000;
const PATRON_KEY = "refbot.sandbox.patronPhone";
const STATUS_MARKS = { accepted: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "⚠" };
const panes = [];

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function start() {
  const config = await getJson("api/config");
  document.getElementById("library").textContent = `Nomor perpustakaan: ${config.library}`;
  const grid = document.getElementById("phones");
  const patronPhone = localStorage.getItem(PATRON_KEY) || config.patron.phone;
  addPane(grid, { ...config.patron, phone: patronPhone }, true);
  for (const librarian of config.librarians) addPane(grid, librarian, false);
  poll();
}

function addPane(grid, person, editable) {
  const node = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
  const pane = {
    person,
    node,
    list: node.querySelector(".messages"),
    problem: node.querySelector(".problem"),
    signature: "",
  };
  node.classList.add(person.role);
  node.querySelector(".role").textContent = person.role === "patron" ? "Pemustaka" : "Pustakawan";
  node.querySelector(".name").textContent = person.name;
  const number = node.querySelector(".number-input");
  number.value = person.phone;
  number.readOnly = !editable;
  if (editable) {
    number.addEventListener("change", () => {
      pane.person.phone = number.value.replace(/\D/g, "");
      number.value = pane.person.phone;
      localStorage.setItem(PATRON_KEY, pane.person.phone);
      pane.signature = "";
      refresh(pane);
    });
  }
  const form = node.querySelector(".compose");
  const text = node.querySelector(".compose-text");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    const ok = await send(pane, { from: pane.person.phone, text: text.value });
    if (ok) text.value = "";
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  grid.appendChild(node);
  panes.push(pane);
}

async function send(pane, body) {
  showProblem(pane, "");
  try {
    const response = await fetch("api/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) showProblem(pane, answer.error || `HTTP ${response.status}`);
    await refresh(pane);
    return response.ok;
  } catch (error) {
    showProblem(pane, String(error));
    return false;
  }
}

function showProblem(pane, text) {
  pane.problem.textContent = text;
  pane.problem.hidden = !text;
}

async function refresh(pane) {
  const phone = pane.person.phone;
  if (!phone) return;
  const data = await getJson(`api/thread?phone=${encodeURIComponent(phone)}`);
  const signature = JSON.stringify(data.messages);
  if (signature === pane.signature) return;
  const grew = !pane.signature || data.messages.length > JSON.parse(pane.signature).length;
  pane.signature = signature;
  render(pane, data.messages);
  if (grew) pane.list.scrollTop = pane.list.scrollHeight;
}

function render(pane, messages) {
  pane.list.replaceChildren(...messages.map((message) => bubble(pane, message)));
}

function bubble(pane, message) {
  const item = make("li", message.from_me ? "bubble mine" : "bubble theirs");
  if (message.from_me && message.type !== "text") {
    item.appendChild(make("div", "tapped", "↩ tombol"));
  }
  item.appendChild(make("div", "text", message.text));
  for (const button of message.buttons || []) {
    item.appendChild(replyButton(pane, message, button, false));
  }
  if ((message.rows || []).length) {
    item.appendChild(make("div", "list-title", `☰ ${message.list_button}`));
    for (const row of message.rows) item.appendChild(replyButton(pane, message, row, true));
  }
  item.appendChild(meta(message));
  return item;
}

function replyButton(pane, message, button, isRow) {
  const node = make("button", isRow ? "reply row" : "reply");
  node.type = "button";
  node.appendChild(make("span", "reply-title", button.title));
  if (isRow && button.description) node.appendChild(make("span", "reply-description", button.description));
  node.addEventListener("click", () =>
    send(pane, {
      from: pane.person.phone,
      reply: { id: button.id, title: button.title, list: isRow },
      context_id: message.id,
    }),
  );
  return node;
}

function meta(message) {
  const time = new Date(message.ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const line = make("div", "meta", time);
  if (message.from_me) {
    const delivered = typeof message.delivery === "number" && message.delivery < 300;
    const mark = delivered ? " ✓ webhook" : ` ⚠ tidak terkirim: ${message.delivery}`;
    line.appendChild(make("span", delivered ? "ok" : "bad", mark));
  } else {
    const mark = ` ${STATUS_MARKS[message.status] || ""} ${message.status}`;
    line.appendChild(make("span", message.status === "failed" ? "bad" : "ok", mark));
    for (const error of message.errors || []) line.appendChild(make("div", "bad", error));
  }
  return line;
}

async function poll() {
  await Promise.all(
    panes.map((pane) => refresh(pane).catch((error) => showProblem(pane, `tidak bisa memuat: ${error}`))),
  );
  setTimeout(poll, POLL_MS);
}

start().catch((error) => {
  document.getElementById("phones").appendChild(make("p", "problem", `Sandbox tidak bisa dimuat: ${error}`));
});
