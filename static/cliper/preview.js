/* CLIPER browser previews: the source video, cropped by CSS transforms along the clip's crop
   path, with the captions the final burns in drawn as HTML. Nothing is encoded for a preview.

   Each .preview element holds a json_script block with what pipeline/preview.py planned:
   the clip's bounds (source seconds), its crop path (source pixels, clip-relative times, the
   same path the final render uses), optional per-shot layouts, the caption cues and their style.
   Positions are applied as fractions of the picture, so a smaller proxy file fits the same path. */
(function () {
  "use strict";

  // --- the crop path, as pipeline/crop_plan.positions_per_frame reads it ---
  // Linear between analysed frames, but never across a cut (or a switch to another person):
  // there the crop steps.
  function cropAt(crop, t) {
    const fps = crop.fps || 25, slack = 0.5 / fps;
    const steps = (crop.cuts || []).concat(crop.switches || []).sort(function (a, b) { return a - b; });
    let low = -Infinity, high = Infinity;
    for (const step of steps) {
      if (step - slack <= t) low = step; else { high = step; break; }
    }
    const times = crop.times, xs = crop.xs, ys = crop.ys;
    let first = -1, last = -1;
    for (let i = 0; i < times.length; i++) {
      if (times[i] >= low - slack && times[i] < high - slack) { if (first < 0) first = i; last = i; }
    }
    if (first < 0) {  // nothing analysed in this stretch: hold the nearest earlier sample
      let i = times.length - 1;
      while (i > 0 && times[i] >= high) i--;
      return { x: xs[i], y: ys[i] };
    }
    if (t <= times[first]) return { x: xs[first], y: ys[first] };
    if (t >= times[last]) return { x: xs[last], y: ys[last] };
    let i = first;
    while (i < last && times[i + 1] <= t) i++;
    const span = times[i + 1] - times[i], f = span > 0 ? (t - times[i]) / span : 0;
    return { x: Math.round(xs[i] + f * (xs[i + 1] - xs[i])), y: Math.round(ys[i] + f * (ys[i + 1] - ys[i])) };
  }

  function layoutAt(crop, t) {
    const speakers = crop.speakers;
    if (!speakers || !speakers.layouts) return null;
    for (const shot of speakers.layouts) {
      if (t >= shot.start && t < shot.end) {
        for (const segment of shot.segments || []) {
          if (t >= segment.start && t < segment.end) return { layout: shot.layout, segment: segment };
        }
        return { layout: shot.layout, segment: null };
      }
    }
    return null;
  }

  // --- placing a video element so that a source box fills its layer ---
  function place(video, crop, box) {
    // width/height: the whole picture at the box's scale; translate: the box's corner to 0,0
    video.style.width = (100 * crop.source_width / box.width) + "%";
    video.style.height = (100 * crop.source_height / box.height) + "%";
    video.style.transform = "translate(" + (-100 * box.x / crop.source_width) + "%, " +
      (-100 * box.y / crop.source_height) + "%)";
  }

  // --- captions ---
  function cueAt(cues, t) {
    for (const cue of cues) if (t >= cue.start && t < cue.end) return cue;
    return null;
  }
  function spokenIndex(cue, t) {
    // as subtitles.ass_document highlights: the first word from the cue's start, each next
    // word from its own start
    const words = [].concat.apply([], cue.lines);
    let index = 0;
    for (let i = 1; i < words.length; i++) if (words[i].start <= t) index = i;
    return index;
  }
  function drawCaptions(state, t) {
    const cue = cueAt(state.data.cues || [], t);
    if (cue !== state.cue) {
      state.cue = cue;
      state.captions.textContent = "";
      if (cue) {
        for (const line of cue.lines) {
          const row = document.createElement("span");
          row.className = "caption-line";
          line.forEach(function (word, i) {
            const span = document.createElement("span");
            span.className = "caption-word";
            span.textContent = word.text;  // text, never markup: captions are user-editable
            row.appendChild(span);
            if (i + 1 < line.length) row.appendChild(document.createTextNode(" "));
          });
          state.captions.appendChild(row);
        }
      }
    }
    if (!cue) return;
    const index = spokenIndex(cue, t);
    state.captions.querySelectorAll(".caption-word").forEach(function (span, i) {
      span.classList.toggle("spoken", i === index);
    });
  }

  // The CaptionStyle (pipeline/schemas.py) as ass_document draws it: sizes relative to the frame.
  function rgba(hex, opacity) {
    const n = parseInt((hex || "#000000").slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + opacity + ")";
  }
  function styleCaptions(state) {
    const style = state.data.style, frame = state.frame, captions = state.captions;
    if (!style) { captions.hidden = true; return; }
    const font = style.size_pct / 100 * Math.min(frame.clientWidth, frame.clientHeight);
    const outline = style.outline_pct / 100 * font, shadow = style.shadow_pct / 100 * font;
    for (const box of [captions, state.hook]) {
      if (!box) continue;
      box.style.fontFamily = '"' + style.font + '", "DejaVu Sans", sans-serif';
      box.style.textTransform = style.uppercase ? "uppercase" : "none";
      box.style.setProperty("--caption-colour", style.text_colour);
      box.style.setProperty("--caption-outline", style.outline_colour);
      box.style.setProperty("--caption-outline-px", 2 * outline + "px");
    }
    captions.style.fontSize = font + "px";
    captions.style.fontWeight = style.bold ? "700" : "400";
    captions.style.bottom = style.bottom_pct + "%";
    captions.style.setProperty("--caption-shadow", shadow > 0 ?
      shadow + "px " + shadow + "px 0 " + rgba(style.shadow_colour, 0.5) : "none");
    captions.style.setProperty("--caption-highlight", style.karaoke ? style.highlight_colour : style.text_colour);
    captions.style.setProperty("--caption-box", style.box ? rgba(style.box_colour, style.box_opacity) : "transparent");
    captions.style.setProperty("--caption-box-pad", (style.box ? Math.max(outline, 0.15 * font) : 0) + "px");
    if (state.hook) {
      const hookFont = font * style.hook_scale;
      state.hook.style.fontSize = hookFont + "px";
      state.hook.style.top = style.hook_top_pct + "%";
      state.hook.style.setProperty("--caption-box", rgba(style.box_colour, Math.max(style.box_opacity, 0.6)));
      state.hook.style.setProperty("--caption-box-pad", 0.2 * hookFont + "px");
    }
  }

  // --- one preview ---
  function clipTime(state) {
    // before the first play or seek the video is not loaded: show the clip's first moment
    if (!state.main.getAttribute("src")) return 0;
    return state.main.currentTime - state.data.start;
  }

  function draw(state) {
    const data = state.data, crop = data.crop, t = clipTime(state);
    const layout = layoutAt(crop, t);
    const kind = layout ? layout.layout : "single";
    state.frame.dataset.layout = state.second || kind === "single" || kind === "speaker" ? kind : "single";
    let box;
    if (kind === "split" && state.second && layout.segment && layout.segment.top && layout.segment.bottom) {
      box = layout.segment.top;
      place(state.second, crop, layout.segment.bottom);
    } else if (kind === "fit" && state.second) {
      box = { x: 0, y: 0, width: crop.source_width, height: crop.source_height };
    } else {
      const at = cropAt(crop, t);
      box = { x: at.x, y: at.y, width: crop.width, height: crop.height };
    }
    if (kind === "fit" && state.second) {
      // the whole picture, contained, over a blurred copy that fills the frame
      state.main.style.width = "100%"; state.main.style.height = "100%"; state.main.style.transform = "none";
      place(state.second, crop, {
        x: (crop.source_width - crop.width) / 2, y: (crop.source_height - crop.height) / 2,
        width: crop.width, height: crop.height,
      });
    } else {
      place(state.main, crop, box);
    }
    state.frame.dataset.cropX = box.x;
    state.frame.dataset.cropY = box.y;
    state.frame.dataset.clipTime = t.toFixed(3);
    if (state.second) {
      if (Math.abs(state.second.currentTime - state.main.currentTime) > 0.15) state.second.currentTime = state.main.currentTime;
      if (!state.main.paused && state.second.paused) state.second.play().catch(function () {});
      if (state.main.paused && !state.second.paused) state.second.pause();
    }
    drawCaptions(state, t);
    if (state.hook) state.hook.hidden = !(t >= 0 && t < state.data.style.hook_s);
    const duration = data.end - data.start;
    state.seek.value = Math.max(0, Math.min(t, duration)).toFixed(2);
    state.time.textContent = formatTime(Math.max(0, t)) + " / " + formatTime(duration);
  }

  function formatTime(seconds) {
    const s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // --- silence trimming: the final cuts these pauses, so playback jumps over them ---
  function cutAt(cuts, t) {
    for (const cut of cuts || []) if (t >= cut[0] && t < cut[1] - 0.01) return cut;
    return null;
  }
  function skipCut(state) {
    const cut = state.main.paused ? null : cutAt(state.data.cuts, clipTime(state));
    if (cut) setSourceTime(state, state.data.start + cut[1]);
  }

  function frameLoop(state) {
    if (state.looping) return;
    state.looping = true;
    const step = function () {
      if (state.main.paused || !state.frame.isConnected) { state.looping = false; return; }
      if (state.main.currentTime >= state.data.end) {
        state.main.pause();
        state.main.currentTime = state.data.start;
      }
      skipCut(state);
      draw(state);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  function ensureLoaded(state) {
    for (const video of [state.main, state.second]) {
      if (video && !video.getAttribute("src")) { video.src = video.dataset.src; video.load(); }
    }
  }

  // Source time for both videos; before their metadata has loaded a seek would be lost, so it
  // waits for it.
  function setSourceTime(state, seconds) {
    for (const video of [state.main, state.second]) {
      if (!video) continue;
      if (video.readyState >= 1) video.currentTime = seconds;
      else video.addEventListener("loadedmetadata", function () { video.currentTime = seconds; }, { once: true });
    }
  }

  function seekTo(state, clipSeconds) {
    ensureLoaded(state);
    setSourceTime(state, state.data.start + Math.max(0, Math.min(clipSeconds, state.data.end - state.data.start - 0.01)));
    draw(state);
  }

  function setUp(element) {
    if (element.dataset.ready) return;
    const source = element.querySelector("script[type='application/json']");
    if (!source) return;
    element.dataset.ready = "1";
    const data = JSON.parse(source.textContent);
    const state = {
      data: data,
      frame: element.querySelector(".preview-frame"),
      main: element.querySelector("video.preview-main"),
      second: element.querySelector("video.preview-second"),
      captions: element.querySelector(".preview-captions"),
      hook: null,
      seek: element.querySelector(".preview-seek"),
      time: element.querySelector(".preview-time"),
      play: element.querySelector(".preview-play"),
      cue: undefined,
    };
    element.cliperPreview = {
      state: state,
      seek: function (clipSeconds) { seekTo(state, clipSeconds); },
      cropAt: function (clipSeconds) { return cropAt(data.crop, clipSeconds); },
      cuts: data.cuts || [],
    };
    state.seek.max = (data.end - data.start).toFixed(2);
    if (data.style && data.style.hook_title && data.hook) {
      state.hook = document.createElement("div");
      state.hook.className = "preview-hook";
      state.hook.textContent = data.hook;
      state.frame.appendChild(state.hook);
    }
    styleCaptions(state);
    if (window.ResizeObserver) new ResizeObserver(function () { styleCaptions(state); }).observe(state.frame);
    state.main.addEventListener("timeupdate", function () { skipCut(state); draw(state); });
    state.main.addEventListener("seeked", function () { draw(state); });
    state.main.addEventListener("loadeddata", function () { element.classList.add("loaded"); draw(state); });
    state.main.addEventListener("play", function () {
      element.classList.add("loaded", "playing");
      state.play.textContent = "Pause";
      frameLoop(state);
    });
    state.main.addEventListener("pause", function () { element.classList.remove("playing"); state.play.textContent = "Play"; draw(state); });
    state.play.addEventListener("click", function () {
      ensureLoaded(state);
      const t = clipTime(state);
      if (!state.main.paused) { state.main.pause(); return; }
      if (state.main.readyState < 1 || !(t >= 0 && t < data.end - data.start - 0.05)) setSourceTime(state, data.start);
      state.main.play().catch(function () {});
    });
    state.seek.addEventListener("input", function () { seekTo(state, parseFloat(state.seek.value)); });
    draw(state);
  }

  window.cliperPreviews = { cropAt: cropAt, layoutAt: layoutAt };
  htmx.onLoad(function (root) {
    const scope = root.querySelectorAll ? root : document;
    if (root.matches && root.matches(".preview")) setUp(root);
    for (const element of scope.querySelectorAll(".preview")) setUp(element);
  });
})();
