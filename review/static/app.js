// clsdata review page: plain JavaScript, no build step. State: the gold tree of one document (axes,
// objectives, actions, each with `_id` = its index in the gold file, so saving keeps the file's comments).
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { slug: null, tree: null, boxes: [], pages: 0, page: 1, pdf: false, selected: null };

const soft = (s) => (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]/g, "");
const listText = (v) => (v || []).join(", ");
const parseList = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return node;
};

async function loadDocuments() {
  const docs = await (await fetch("/api/documents")).json();
  const list = $("#document-list");
  list.replaceChildren(...docs.map((d) => el("li", { "data-slug": d.slug, tabindex: 0, onclick: () => openDocument(d.slug),
      onkeydown: (e) => { if (e.key === "Enter") openDocument(d.slug); } },
    d.slug, el("span", { class: `status ${d.status}` }, d.status === "reviewed" ? "relu" :
      d.status === "broken" ? "illisible" : "machine"),
    el("span", { class: "score" }, d.error ? d.error : d.scores.axes === null ? "pas de score" :
      `F1 axes ${d.scores.axes} · actions ${d.scores.actions}`))));
}

async function openDocument(slug) {
  const doc = await (await fetch(`/api/documents/${slug}`)).json();
  Object.assign(state, { slug, tree: doc.tree, boxes: doc.boxes, pages: doc.pages, pdf: doc.pdf, page: 1, selected: null });
  document.querySelectorAll("#document-list li").forEach((li) => li.classList.toggle("current", li.dataset.slug === slug));
  $("#doc-title").textContent = slug;
  $("#reviewed").checked = doc.status === "reviewed";
  message("");
  render();
  showPage(1);
}

function showPage(n) {
  if (!state.pdf || state.pages === 0) { $("#page-image").removeAttribute("src"); $("#page-label").textContent = "page web"; drawBoxes(); return; }
  state.page = Math.min(Math.max(n, 1), state.pages);
  $("#page-label").textContent = `page ${state.page} / ${state.pages}`;
  const img = $("#page-image");
  img.onload = drawBoxes;
  img.src = `/api/documents/${state.slug}/page/${state.page}`;
}

function drawBoxes() {
  const svg = $("#overlay"), img = $("#page-image");
  svg.setAttribute("viewBox", `0 0 ${img.naturalWidth || 1} ${img.naturalHeight || 1}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const selectedTitle = state.selected ? soft(itemAt(state.selected).title) : null;
  svg.replaceChildren(...state.boxes.filter((b) => b.bbox && b.page === state.page).map((b) => {
    const [x0, top, x1, bottom] = b.bbox.map((v) => v * b.scale);
    const ns = "http://www.w3.org/2000/svg";
    const r = document.createElementNS(ns, "rect");
    r.setAttribute("x", x0); r.setAttribute("y", top); r.setAttribute("width", x1 - x0); r.setAttribute("height", bottom - top);
    r.setAttribute("class", `${b.kind}${soft(b.title) === selectedTitle ? " selected" : ""}`);
    r.setAttribute("data-title", b.title);
    const t = document.createElementNS(ns, "title"); t.textContent = b.title; r.append(t);
    r.addEventListener("click", () => selectByTitle(b.kind, b.title));
    return r;
  }));
}

const itemAt = (path) => { const [kind, i] = path.split("."); return state.tree[kind][Number(i)]; };

function selectByTitle(kind, title) {
  const i = state.tree[kind].findIndex((it) => soft(it.title) === soft(title));
  if (i >= 0) select(`${kind}.${i}`, false);
}

function select(path, movePage = true) {
  state.selected = path;
  document.querySelectorAll(".card").forEach((c) => c.classList.toggle("selected", c.dataset.path === path));
  const card = document.querySelector(`.card[data-path="${path}"]`);
  if (card) card.scrollIntoView({ block: "nearest" });
  const box = state.boxes.find((b) => b.bbox && soft(b.title) === soft(itemAt(path).title));
  if (movePage && box && box.page !== state.page) showPage(box.page); else drawBoxes();
}

function field(path, key, value, cls, label, onchange) {
  return el("label", { class: cls === "title" ? "grow" : null }, label ? `${label} ` : "", el("input", { class: cls, value: value ?? "", "data-path": `${path}.${key}`,
    "aria-label": `${label || key} ${path}`, onchange: (e) => onchange(e.target.value) }));
}

function axisOptions(current) {
  return [el("option", { value: "", selected: current == null }, "(sans axe)"),
    ...state.tree.axes.map((a) => el("option", { value: a.number ?? "", selected: a.number === current }, `Axe ${a.number ?? "?"} · ${a.title.slice(0, 40)}`))];
}

function objectiveOptions(axis, current) {
  return [el("option", { value: "", selected: current == null }, "(sans objectif)"),
    ...state.tree.objectives.filter((o) => o.axis === axis || axis == null).map((o) =>
      el("option", { value: o.title, selected: o.title === current }, o.title.slice(0, 50)))];
}

function card(kind, i) {
  const item = state.tree[kind][i], path = `${kind}.${i}`;
  const set = (key, parse = (v) => v) => (v) => { item[key] = parse(v); };
  const cls = { axes: "axis", objectives: "objective", actions: "action" }[kind];
  const rows = [el("div", { class: "row" },
    field(path, "number", item.number, "num", "n°", set("number", (v) => v.trim() || null)),
    field(path, "title", item.title, "title", "", (v) => { item.title = v.trim(); }),
    el("button", { title: "Supprimer", "data-action": "delete", "data-path": path, onclick: () => remove(kind, i) }, "✕"))];
  if (kind === "actions") {
    rows.push(el("div", { class: "row" },
      el("label", {}, "axe ", el("select", { "data-path": `${path}.axis`, onchange: (e) => { item.axis = e.target.value || null; item.objective = null; render(); } }, axisOptions(item.axis))),
      el("label", {}, "objectif ", el("select", { "data-path": `${path}.objective`, onchange: (e) => { item.objective = e.target.value || null; } }, objectiveOptions(item.axis, item.objective))),
      field(path, "years", listText(item.years), "list", "années", (v) => { item.years = parseList(v).map(Number); })));
    rows.push(el("div", { class: "row" },
      field(path, "themes", listText(item.themes), "list", "thèmes", (v) => { item.themes = parseList(v); }),
      field(path, "publics", listText(item.publics), "list", "publics", (v) => { item.publics = parseList(v); }),
      field(path, "partners", listText(item.partners), "list", "partenaires", (v) => { item.partners = parseList(v); })));
    rows.push(el("div", { class: "row" },
      el("button", { "data-action": "merge", "data-path": path, title: "Fusionner avec l'action suivante", onclick: () => merge(i) }, "fusionner ↓"),
      el("button", { "data-action": "split", "data-path": path, title: "Couper le titre au curseur en deux actions", onclick: () => split(i) }, "couper")));
  } else if (kind === "axes") {
    rows.push(el("div", { class: "row" }, field(path, "themes", listText(item.themes), "list", "thèmes", (v) => { item.themes = parseList(v); }),
      el("button", { "data-action": "add-action", onclick: () => addAction(item.number) }, "+ action")));
  } else {
    rows.push(el("div", { class: "row" }, el("label", {}, "axe ", el("select", { "data-path": `${path}.axis`,
      onchange: (e) => { item.axis = e.target.value || null; render(); } }, axisOptions(item.axis)))));
  }
  return el("div", { class: `card ${cls}`, "data-path": path, onclick: (e) => { if (e.target.tagName !== "BUTTON") select(path); } }, rows);
}

function render() {
  const t = state.tree, c = t.contract;
  $("#contract").replaceChildren(el("div", { class: "row" },
    field("contract", "territory", c.territory, "", "territoire", (v) => { c.territory = v.trim() || null; }),
    field("contract", "period_start", c.period_start, "num", "du", (v) => { c.period_start = v ? Number(v) : null; }),
    field("contract", "period_end", c.period_end, "num", "au", (v) => { c.period_end = v ? Number(v) : null; })));
  const out = [];
  const axisNumbers = new Set(t.axes.map((a) => a.number));
  t.axes.forEach((a, i) => {
    out.push(card("axes", i));
    t.objectives.forEach((o, j) => { if (o.axis === a.number) out.push(card("objectives", j)); });
    t.actions.forEach((x, j) => { if (x.axis === a.number) out.push(card("actions", j)); });
  });
  const loose = t.actions.map((x, j) => [x, j]).filter(([x]) => x.axis == null || !axisNumbers.has(x.axis));
  const looseObjectives = t.objectives.map((o, j) => [o, j]).filter(([o]) => o.axis == null || !axisNumbers.has(o.axis));
  if (loose.length || looseObjectives.length) {
    out.push(el("h3", {}, "Sans axe"));
    looseObjectives.forEach(([, j]) => out.push(card("objectives", j)));
    loose.forEach(([, j]) => out.push(card("actions", j)));
  }
  $("#tree").replaceChildren(...out);
  if (state.selected) select(state.selected, false);
}

function remove(kind, i) {
  const [gone] = state.tree[kind].splice(i, 1);
  if (kind === "axes") state.tree.actions.forEach((x) => { if (x.axis === gone.number) x.axis = null; });
  state.selected = null;
  render();
  message(`supprimé : ${gone.title}`);
}

function addAction(axis) {
  state.tree.actions.push({ number: null, title: "Nouvelle action", axis, objective: null, page: null, years: [], themes: [], publics: [], partners: [] });
  render();
  select(`actions.${state.tree.actions.length - 1}`);
}

function merge(i) {
  const a = state.tree.actions[i], b = state.tree.actions[i + 1];
  if (!b) return message("pas d'action suivante à fusionner", "error");
  a.title = `${a.title} ${b.title}`.trim();
  a.years = [...new Set([...(a.years || []), ...(b.years || [])])].sort();
  state.tree.actions.splice(i + 1, 1);
  render();
}

function split(i) {
  const input = document.querySelector(`input[data-path="actions.${i}.title"]`);
  const a = state.tree.actions[i], at = input ? input.selectionStart : Math.floor(a.title.length / 2);
  const head = a.title.slice(0, at).trim(), tail = a.title.slice(at).trim();
  if (!head || !tail) return message("placez le curseur dans le titre, là où couper", "error");
  a.title = head;
  state.tree.actions.splice(i + 1, 0, { ...a, _id: undefined, number: null, title: tail });
  render();
}

function message(text, kind = "ok") { const m = $("#message"); m.textContent = text; m.className = kind; }

async function save() {
  if (!state.slug) return;
  document.querySelectorAll(".problem").forEach((p) => p.remove());
  document.querySelectorAll(".invalid").forEach((p) => p.classList.remove("invalid"));
  const body = { tree: state.tree, reviewer: $("#reviewer").value, reviewed: $("#reviewed").checked };
  localStorage.setItem("clsdata-reviewer", $("#reviewer").value);
  const res = await fetch(`/api/documents/${state.slug}/gold`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const out = await res.json();
  if (res.ok) { message(`enregistré (${out.axes} axes, ${out.actions} actions)`); loadDocuments(); return; }
  const problems = out.problems || { gold: JSON.stringify(out.detail || out) };
  for (const [where, text] of Object.entries(problems)) {
    const input = document.querySelector(`[data-path="${where}"]`) || (where === "reviewer" ? $("#reviewer") : null);
    if (input) { input.classList.add("invalid"); input.closest("label").after(el("span", { class: "problem" }, text)); }
  }
  message(`refusé : ${Object.entries(problems).map(([k, v]) => `${k} — ${v}`).join(" ; ")}`, "error");
}

function moveSelection(step) {
  const cards = [...document.querySelectorAll(".card")];
  if (!cards.length) return;
  const i = cards.findIndex((c) => c.dataset.path === state.selected);
  select(cards[Math.min(Math.max(i + step, 0), cards.length - 1)].dataset.path);
}

document.addEventListener("keydown", (e) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); return; }
  if (typing) return;
  if (e.key === "j") moveSelection(1);
  if (e.key === "k") moveSelection(-1);
  if (e.key === "Delete" && state.selected) { const [kind, i] = state.selected.split("."); remove(kind, Number(i)); }
});
$("#save").addEventListener("click", save);
$("#add-axis").addEventListener("click", () => { const n = String(state.tree.axes.length + 1); state.tree.axes.push({ number: n, title: "Nouvel axe", page: null, themes: [] }); render(); });
$("#prev-page").addEventListener("click", () => showPage(state.page - 1));
$("#next-page").addEventListener("click", () => showPage(state.page + 1));
$("#reviewer").value = localStorage.getItem("clsdata-reviewer") || "";
loadTerritories();
loadDocuments();

// Territories: the warehouse's official matches; a reviewer chooses the units of an ambiguous or missing one.
async function loadTerritories() {
  const items = await (await fetch("/api/territories")).json();
  $("#territory-list").replaceChildren(...items.map((t) => {
    const input = el("input", { class: "codes", "data-territory": t.territory_id, placeholder: "epci:SIREN, commune:INSEE",
      value: (t.choice || t.codes.map((c) => (/^\d{9}$/.test(c) ? `epci:${c}` : `commune:${c}`))).join(", ") });
    const pick = t.candidates.length ? el("select", { class: "candidate", onchange: (e) => { input.value = e.target.value; } },
      el("option", { value: "" }, "candidats…"), ...t.candidates.map((c) => el("option", { value: c.code }, c.label))) : "";
    const note = el("span", { class: "problem", role: "status" });
    const save = el("button", { class: "save-territory", onclick: async () => {
      const body = { codes: parseList(input.value), reviewer: $("#reviewer").value, note: null };
      const res = await fetch(`/api/territories/${encodeURIComponent(t.territory_id)}`,
        { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const got = await res.json();
      note.className = res.ok ? "saved" : "problem";
      note.textContent = res.ok ? `enregistré (${got.applies === "from the next run" ? "au prochain run" : got.applies})`
        : Object.values(got.problems || { error: got.detail }).join(" ; ");
    } }, "Choisir");
    return el("li", { "data-territory": t.territory_id }, t.name, el("span", { class: `status ${t.status}` }, t.status),
      el("span", { class: "reason" }, t.official_name || t.reason || ""), pick, input, save, note);
  }));
}
