/* CLIPER page behaviour: upload progress, caption counter, keyboard review, chapter seeking. */
(function () {
  "use strict";

  // --- caption character counter: the rules come from pipeline/caption_rules.py through the
  // page's #caption-rules JSON blob (limit, separators); parseHashtags mirrors parse_hashtags ---
  function captionRules() {
    const blob = document.getElementById("caption-rules");
    return blob ? JSON.parse(blob.textContent) : null;
  }
  function parseHashtags(raw) {
    const seen = new Set(), tags = [];
    for (const piece of (raw || "").split(/[\s,]+/)) {
      const body = piece.trim().replace(/^#+/, "").replace(/[^\p{L}\p{N}_]/gu, "");
      if (body && !seen.has(body.toLowerCase())) { seen.add(body.toLowerCase()); tags.push("#" + body); }
    }
    return tags;
  }
  function updateCounter(form) {
    const text = form.querySelector(".caption-input"), tags = form.querySelector(".hashtags-input");
    const counter = form.querySelector(".counter"), chars = form.querySelector(".chars");
    if (!text || !counter || !chars) return;
    const rules = captionRules();
    if (!rules) return;
    const hashtags = parseHashtags(tags ? tags.value : "");
    const caption = text.value.trim() + (hashtags.length ? rules.textHashtagSeparator + hashtags.join(rules.hashtagSeparator) : "");
    const length = Array.from(caption).length, limit = rules.limit;
    chars.textContent = length;
    counter.classList.toggle("over", limit > 0 && length > limit);
  }
  document.addEventListener("input", function (event) {
    const form = event.target.closest(".copy-form");
    if (form) updateCounter(form);
  });

  // --- keyboard review on the clips page ---
  let currentClip = null, focusEditorOf = null;
  function cards() { return Array.from(document.querySelectorAll(".clip-card")); }
  function markCurrent() {
    for (const card of cards()) card.classList.toggle("current", card.dataset.clip === currentClip);
  }
  function move(step) {
    const list = cards();
    if (!list.length) return;
    let index = list.findIndex(function (card) { return card.dataset.clip === currentClip; });
    index = index < 0 ? 0 : Math.min(Math.max(index + step, 0), list.length - 1);
    currentClip = list[index].dataset.clip;
    markCurrent();
    list[index].scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  function currentCard() {
    return currentClip ? document.getElementById("clip-" + currentClip) : null;
  }
  function press(action) {
    const card = currentCard();
    const button = card && card.querySelector('[data-action="' + action + '"]');
    if (!button) return false;
    button.click();
    return true;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (!document.querySelector(".clip-card")) return;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": if (press("approve")) move(1); break;
      case "r": if (press("reject")) move(1); break;
      case "e": focusEditorOf = currentClip; press("edit"); break;
      case "x": {
        const box = currentCard() && currentCard().querySelector(".pick");
        if (box) box.checked = !box.checked;
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  // --- seeking the player from chapters and transcript timestamps ---
  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-seek]");
    const player = document.getElementById("player");
    if (!link || !player) return;
    event.preventDefault();
    player.currentTime = parseFloat(link.dataset.seek);
    player.play().catch(function () {});
    player.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
  function highlightChapter(player) {
    const chapters = Array.from(document.querySelectorAll(".chapter[data-seek]"));
    let active = null;
    for (const chapter of chapters) if (parseFloat(chapter.dataset.seek) <= player.currentTime + 0.01) active = chapter;
    for (const chapter of chapters) chapter.classList.toggle("current", chapter === active);
  }

  // --- setup for whatever htmx (or the first page load) just put into the page ---
  htmx.onLoad(function (root) {
    for (const form of root.querySelectorAll ? root.querySelectorAll(".copy-form") : []) updateCounter(form);
    if (root.classList && root.classList.contains("copy-form")) {
      updateCounter(root);
      const card = root.closest(".clip-card");
      if (card && card.dataset.clip === focusEditorOf) { root.querySelector(".caption-input").focus(); focusEditorOf = null; }
    }
    markCurrent();
    const all = document.getElementById("select-all");
    if (all && !all.dataset.bound) {
      all.dataset.bound = "1";
      all.addEventListener("change", function () {
        for (const box of document.querySelectorAll(".pick")) box.checked = all.checked;
      });
    }
    const player = document.getElementById("player");
    if (player && !player.dataset.bound) {
      player.dataset.bound = "1";
      player.addEventListener("timeupdate", function () { highlightChapter(player); });
    }
    const preset = document.querySelector("#new-video-form [name=clip_preset]");
    if (preset) {
      const showCustom = function () {
        for (const field of document.querySelectorAll(".custom-bounds")) field.hidden = preset.value !== "custom";
      };
      preset.addEventListener("change", showCustom);
      showCustom();
    }
  });

  // --- links that open a <details> (no inline handlers: the CSP allows scripts from files only) ---
  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-opens]");
    const target = link && document.getElementById(link.dataset.opens);
    if (target) target.open = true;
  });

  // --- upload progress of the new-video form ---
  document.addEventListener("htmx:xhr:progress", function (event) {
    const form = event.target.closest && event.target.closest("#new-video-form");
    if (!form || !event.detail.lengthComputable) return;
    const box = form.querySelector(".upload-progress");
    const percent = Math.round((100 * event.detail.loaded) / event.detail.total);
    box.hidden = false;
    box.querySelector("progress").value = percent;
    box.querySelector("span").textContent = percent + " %";
  });
})();
