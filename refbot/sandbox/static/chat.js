// The sandbox chat page. Every piece of message text reaches the page through textContent,
// never parsed as markup: what refbot sends (catalog titles, patron words) is untrusted text.
// It shows what a phone would: photos as thumbnails, documents as a link, quoted replies, reply
// buttons and lists; and it lets a person reply to a message and send a photo or a document.
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
    quoteBar: node.querySelector(".quote-bar"),
    signature: "",
    replyTo: null,
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
    const body = { from: pane.person.phone, text: text.value };
    if (pane.replyTo) body.context_id = pane.replyTo.id;
    const ok = await send(pane, body);
    if (ok) {
      text.value = "";
      quote(pane, null);
    }
  });
  const attach = node.querySelector(".attach-input");
  attach.addEventListener("change", async () => {
    const file = attach.files[0];
    attach.value = "";
    if (!file) return;
    const ok = await sendFile(pane, file, text.value);
    if (ok) {
      text.value = "";
      quote(pane, null);
    }
  });
  node.querySelector(".quote-cancel").addEventListener("click", () => quote(pane, null));
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

// A photo or document goes up as a form; the sandbox keeps it in the Graph stand-in's media
// store and posts the media webhook, so refbot downloads it as it would from WhatsApp.
async function sendFile(pane, file, caption) {
  showProblem(pane, "");
  const form = new FormData();
  form.append("from", pane.person.phone);
  form.append("caption", caption || "");
  form.append("context_id", pane.replyTo ? pane.replyTo.id : "");
  form.append("file", file, file.name);
  try {
    const response = await fetch("api/send_media", { method: "POST", body: form });
    const answer = await response.json();
    if (!response.ok) showProblem(pane, answer.error || `HTTP ${response.status}`);
    await refresh(pane);
    return response.ok;
  } catch (error) {
    showProblem(pane, String(error));
    return false;
  }
}

// Reply to (quote) a message, as a swipe on a phone does; null stops replying.
function quote(pane, message) {
  pane.replyTo = message;
  pane.quoteBar.hidden = !message;
  pane.quoteBar.querySelector(".quote-text").textContent = message ? snippet(message) : "";
  if (message) pane.node.querySelector(".compose-text").focus();
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
  const byId = new Map(messages.map((message) => [message.id, message]));
  pane.list.replaceChildren(...messages.map((message) => bubble(pane, message, byId)));
}

function bubble(pane, message, byId) {
  const item = make("li", message.from_me ? "bubble mine" : "bubble theirs");
  item.dataset.id = message.id;
  const quoted = message.context_id && byId.get(message.context_id);
  if (quoted) item.appendChild(quotedBlock(quoted));
  if (message.from_me && (message.type === "button_reply" || message.type === "list_reply")) {
    item.appendChild(make("div", "tapped", "↩ tombol"));
  }
  const media = mediaOf(message);
  if (media) item.appendChild(mediaBlock(media));
  if (message.text) item.appendChild(make("div", "text", message.text));
  for (const button of message.buttons || []) {
    item.appendChild(replyButton(pane, message, button, false));
  }
  if ((message.rows || []).length) item.appendChild(listBlock(pane, message));
  item.appendChild(meta(message));
  const answer = make("button", "answer", "↩");
  answer.type = "button";
  answer.title = "Balas pesan ini";
  answer.setAttribute("aria-label", "Balas");
  answer.addEventListener("click", () => quote(pane, message));
  item.appendChild(answer);
  return item;
}

// A list message opens its rows from one button, as on a phone.
function listBlock(pane, message) {
  const list = make("details", "list");
  list.appendChild(make("summary", "list-title", `☰ ${message.list_button}`));
  for (const row of message.rows) list.appendChild(replyButton(pane, message, row, true));
  return list;
}

function quotedBlock(message) {
  const block = make("div", "quoted");
  block.appendChild(make("div", "quoted-who", message.from_me ? "Anda" : "Perpustakaan"));
  block.appendChild(make("div", "quoted-text", snippet(message)));
  return block;
}

// What a message carries: a photo or a document, from refbot (image/document) or from the page (media).
function mediaOf(message) {
  if (message.media) return { kind: message.type, ...message.media };
  if (message.image) return { kind: "image", ...message.image };
  if (message.document) return { kind: "document", ...message.document };
  return null;
}

function mediaUrl(media) {
  if (media.id) return `api/media/${encodeURIComponent(media.id)}`;
  try {
    const url = new URL(media.link || "", location.href);
    return /^https?:$/.test(url.protocol) ? url.href : "";
  } catch (error) {
    return "";
  }
}

function mediaBlock(media) {
  const url = mediaUrl(media);
  const link = make("a", media.kind === "image" ? "photo" : "doc");
  if (url) link.href = url;
  link.target = "_blank";
  link.rel = "noopener";
  if (media.kind === "image") {
    const image = make("img", "thumb");
    image.alt = "Foto";
    if (url) image.src = url;
    link.appendChild(image);
    return link;
  }
  const name = media.filename || "Dokumen";
  link.appendChild(make("span", "doc-icon", "📄"));
  link.appendChild(make("span", "doc-name", name));
  const extension = name.includes(".") ? name.split(".").pop().toUpperCase() : "";
  link.appendChild(make("span", "doc-type", extension || "FILE"));
  return link;
}

function snippet(message) {
  const media = mediaOf(message);
  const text = (message.text || "").replace(/\s+/g, " ").trim();
  if (media && !text) return media.kind === "image" ? "📷 Foto" : `📄 ${media.filename || "Dokumen"}`;
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
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
