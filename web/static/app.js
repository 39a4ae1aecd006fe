// The newsroom pages' small behaviours; every page works without them, they only make it quicker.
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function post(url, fields) {
  const body = new FormData();
  for (const [key, value] of Object.entries(fields)) body.append(key, value ?? "");
  return fetch(url, { method: "POST", body, headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin" });
}

async function errorText(response) {
  try { return (await response.json()).detail; } catch { return "تعذّر إتمام الطلب (" + response.status + ")."; }
}

// ---- compose: add, remove and reorder stories ----
function setupCompose(form) {
  const list = form.querySelector("#articles");
  form.querySelector("#add-article")?.addEventListener("click", () => {
    const item = list.querySelector(".article").cloneNode(true);
    item.querySelector("textarea").value = "";
    list.append(item);
    item.querySelector("textarea").focus();
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const item = button.closest(".article");
    if (button.hasAttribute("data-remove")) {
      if (list.children.length > 1) item.remove(); else item.querySelector("textarea").value = "";
    } else if (button.dataset.move === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
  });
}

// ---- script editor: live "how it will be read" and listening to one segment ----

// The preview comes as MP3 frames while the segment is still being voiced. A plain <audio src>
// waits for about five seconds of audio before it starts; Media Source plays the first clause
// as soon as it arrives. Without Media Source the whole segment is fetched, then played.
const STREAMED_PREVIEW = typeof MediaSource !== "undefined" && MediaSource.isTypeSupported("audio/mpeg");

async function playStream(audio, response) {
  const source = new MediaSource();
  audio.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
  const buffer = source.addSourceBuffer("audio/mpeg");
  const appended = () => new Promise((resolve) => buffer.addEventListener("updateend", resolve, { once: true }));
  const reader = response.body.getReader();
  let started = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer.appendBuffer(value);
    await appended();
    if (!started) { started = true; audio.play().catch(() => {}); }
  }
  if (source.readyState === "open") source.endOfStream();
}
function setupEditor(form) {
  const id = form.dataset.bulletin;
  const engine = () => form.querySelector("#engine")?.value;
  async function refresh(segment) {
    const response = await post(`/bulletins/${id}/speakable`, {
      text: segment.querySelector("textarea").value, engine: engine(),
    });
    if (response.ok) segment.querySelector(".speakable").innerHTML = (await response.json()).html;
  }
  form.querySelector("#engine")?.addEventListener("change", () => form.querySelectorAll(".segment").forEach(refresh));
  for (const segment of form.querySelectorAll(".segment")) {
    const textarea = segment.querySelector("textarea");
    const status = segment.querySelector(".segment-status");
    let timer = null;
    textarea.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => refresh(segment), 600);
    });
    setupVowels(segment);
    const button = segment.querySelector("[data-listen]");
    const audio = segment.querySelector("audio");
    button.addEventListener("click", async () => {
      button.disabled = true;
      status.textContent = "جارٍ التوليد…";
      try {
        const streamed = STREAMED_PREVIEW;
        const response = await post(`/bulletins/${id}/listen`, {
          text: textarea.value,
          engine: form.querySelector("#engine")?.value,
          voice: form.querySelector("#voice")?.value,
          format: streamed ? "mp3" : "wav",
        });
        if (!response.ok) { status.textContent = await errorText(response); return; }
        if (audio.src) URL.revokeObjectURL(audio.src);
        audio.hidden = false;
        status.textContent = "";
        if (streamed) {
          await playStream(audio, response);
        } else {
          audio.src = URL.createObjectURL(await response.blob());
          await audio.play().catch(() => {});
        }
      } finally {
        button.disabled = false;
      }
    });
  }

  // Click a word of the spoken view, type its vowels, keep them for this bulletin (they go into
  // the script) or for the station (a lexicon entry); the segment is then voiced again at once.
  function setupVowels(segment) {
    const box = segment.querySelector(".vowel-editor");
    if (!box) return;
    const input = box.querySelector(".vowels");
    const note = box.querySelector(".vowel-status");
    const open = (word) => {
      box.hidden = false;
      box.dataset.word = word.dataset.word;
      box.querySelector(".vowel-word").textContent = word.dataset.word;
      input.value = word.textContent;
      note.textContent = "";
      input.focus();
    };
    segment.querySelector(".speakable").addEventListener("click", (event) => {
      const word = event.target.closest(".w");
      if (word) open(word);
    });
    segment.querySelector(".speakable").addEventListener("keydown", (event) => {
      const word = event.target.closest(".w");
      if (word && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); open(word); }
    });
    for (const button of box.querySelectorAll("[data-scope]")) {
      button.addEventListener("click", async () => {
        const fields = Object.fromEntries(new FormData(form));
        const response = await post(`/bulletins/${id}/vowels`, {
          ...fields, word: box.dataset.word, vowels: input.value, scope: button.dataset.scope,
        });
        if (!response.ok) { note.textContent = await errorText(response); return; }
        const texts = (await response.json()).segments;
        const all = [...form.querySelectorAll(".segment")];
        await Promise.all(all.map((other, i) => {
          const area = other.querySelector("textarea");
          const changed = area.value !== texts[i];
          area.value = texts[i];
          return changed || button.dataset.scope === "station" || other === segment ? refresh(other) : null;
        }));
        note.textContent = button.dataset.scope === "station" ? "أُضيفت إلى معجم المحطة." : "حُفظ التشكيل في النشرة.";
        segment.querySelector("[data-listen]").click();
      });
    }
  }
}

// ---- render job: live progress ----
const STAGES = {
  start: "بدء التوليد", retry: "إعادة المحاولة", speakable: "تحضير النص", synthesize: "توليد الكلام",
  assemble: "تجميع البرنامج", encode: "ترميز الصوت", done: "اكتمل",
  store: "حفظ الملفات", publish: "تحديث الحلقة",
};

function setupJob(box) {
  const bar = box.querySelector("#job-progress");
  const percent = box.querySelector("#job-percent");
  const stage = box.querySelector("#job-stage");
  const error = box.querySelector("#job-error");
  const done = box.querySelector("#job-done");
  const link = box.querySelector("#episode-link");
  // A re-render after an edit takes about a second: looked at often at first, then every second.
  const opened = performance.now();
  async function poll() {
    let job;
    try {
      const response = await fetch(`/api/v1/jobs/${box.dataset.job}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      job = await response.json();
    } catch {
      setTimeout(poll, 2000);
      return;
    }
    box.dataset.state = job.state;
    bar.value = job.state === "done" ? 1 : job.progress;
    percent.textContent = Math.round(bar.value * 100) + "%";
    stage.textContent = STAGES[job.stage] ?? job.stage;
    if (job.state !== "queued" && job.state !== "running") box.querySelector("#job-cancel")?.remove();
    if (job.state === "failed" || job.state === "cancelled") {
      error.textContent = job.error;
      error.hidden = false;
    } else if (job.state === "done") {
      link.href = `/episodes/${job.episode}`;
      done.hidden = false;
    } else {
      setTimeout(poll, performance.now() - opened < 10000 ? 150 : 1000);
    }
  }
  if (box.dataset.state === "queued" || box.dataset.state === "running") poll();
}

// ---- a run being built: the page shows its outcome by itself ----
function setupRunWatch(box) {
  // The page itself is read again (it holds no form then): once the state it shows has moved
  // on, it is loaded whole, with the player, the stories and the approval buttons.
  async function poll() {
    try {
      const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        if (page.querySelector("#run")?.dataset.watch !== box.dataset.watch) {
          location.reload();
          return;
        }
      }
    } catch {
      // a network hiccup: asked again at the next turn
    }
    setTimeout(poll, 3000);
  }
  setTimeout(poll, 3000);
}

// ---- episode: chapters and transcript follow the player ----
function setupPlayer(player) {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seek]");
    if (!button) return;
    player.currentTime = Number(button.dataset.seek);
    player.play().catch(() => {});
  });
  const cues = [...document.querySelectorAll(".cue")];
  player.addEventListener("timeupdate", () => {
    const t = player.currentTime;
    for (const cue of cues) {
      cue.classList.toggle("current", t >= Number(cue.dataset.start) && t < Number(cue.dataset.end));
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const compose = document.querySelector("#compose");
  if (compose) setupCompose(compose);
  const editor = document.querySelector("#editor");
  if (editor) setupEditor(editor);
  const job = document.querySelector("#job");
  if (job) setupJob(job);
  const player = document.querySelector("#player");
  if (player) setupPlayer(player);
  const run = document.querySelector("#run[data-watch]");
  if (run) setupRunWatch(run);
});
