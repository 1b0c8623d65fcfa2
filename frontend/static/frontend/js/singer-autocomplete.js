// Favourite singers on the preferences page: suggestions from the catalogue as one types,
// and a note for a saved singer the catalogue has no song by (a typo otherwise matches
// nobody, silently). Progressive: without JavaScript the textarea works as before.

import { apiFetch } from "./http.js";

const picker = document.getElementById("singer-picker");
const textarea = document.getElementById("id_favourite_singers");

function fold(name) {
  return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^0-9a-z\u0080-\uffff]+/g, " ").trim();
}

async function suggest(q) {
  if (!q.trim()) return [];
  const answer = await apiFetch(picker.dataset.autocompleteUrl, { query: { q } });
  return answer.results;
}

function savedNames() {
  return textarea.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

async function checkSaved(status) {
  const missing = [];
  for (const name of savedNames()) {
    const found = await suggest(name);
    if (!found.some((singer) => fold(singer.name) === fold(name))) missing.push({ name, close: found.slice(0, 3) });
  }
  status.replaceChildren();
  if (!missing.length) return;
  status.append("No song in the catalogue is by: ");
  missing.forEach(({ name, close }, i) => {
    const strong = document.createElement("strong");
    strong.textContent = name;
    status.append(strong, close.length ? ` (did you mean ${close.map((s) => s.name).join(", ")}?)` : "");
    if (i < missing.length - 1) status.append(", ");
  });
  status.append(".");
}

if (picker && textarea) {
  picker.hidden = false;
  const input = picker.querySelector("#singer-search");
  const list = picker.querySelector("#singer-suggestions");
  const status = picker.querySelector("#singer-status");
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const found = await suggest(input.value);
        list.replaceChildren(
          ...found.map((singer) => {
            const option = document.createElement("option");
            option.value = singer.name;
            option.label = `${singer.name} (${singer.song_count} songs)`;
            return option;
          }),
        );
      } catch (error) {
        status.textContent = `No suggestions: ${error.message}`;
      }
    }, 200);
  });
  picker.querySelector("#singer-add").addEventListener("click", () => {
    const name = input.value.trim();
    if (!name) return;
    if (!savedNames().some((saved) => fold(saved) === fold(name))) {
      textarea.value = [...savedNames(), name].join("\n");
    }
    input.value = "";
    checkSaved(status);
  });
  checkSaved(status).catch(() => {});
}
