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
function setupEditor(form) {
  const id = form.dataset.bulletin;
  for (const segment of form.querySelectorAll(".segment")) {
    const textarea = segment.querySelector("textarea");
    const spoken = segment.querySelector(".speakable");
    const status = segment.querySelector(".segment-status");
    let timer = null;
    textarea.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const response = await post(`/bulletins/${id}/speakable`, { text: textarea.value });
        if (response.ok) spoken.textContent = (await response.json()).speakable;
      }, 600);
    });
    const button = segment.querySelector("[data-listen]");
    const audio = segment.querySelector("audio");
    button.addEventListener("click", async () => {
      button.disabled = true;
      status.textContent = "جارٍ التوليد…";
      try {
        const response = await post(`/bulletins/${id}/listen`, {
          text: textarea.value,
          engine: form.querySelector("#engine")?.value,
          voice: form.querySelector("#voice")?.value,
        });
        if (!response.ok) { status.textContent = await errorText(response); return; }
        if (audio.src) URL.revokeObjectURL(audio.src);
        audio.src = URL.createObjectURL(await response.blob());
        audio.hidden = false;
        status.textContent = "";
        await audio.play().catch(() => {});
      } finally {
        button.disabled = false;
      }
    });
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
      setTimeout(poll, 700);
    }
  }
  if (box.dataset.state === "queued" || box.dataset.state === "running") poll();
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
});
