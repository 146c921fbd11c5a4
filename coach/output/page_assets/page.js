"use strict";
// The phone page's player: one <audio> element over the inline MP3, and a display driven by
// the audio's own clock (timeupdate fires even while the screen is not painted), so what is
// shown is what is heard. Built by coach; the session's data come from #session.
(() => {
  const data = JSON.parse(document.getElementById("session").textContent);
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const chapters = data.chapters;
  const media = "mediaSession" in navigator ? navigator.mediaSession : null;

  // The MP3 arrives as base64 text: made into a blob: URL, which plays and seeks offline.
  function audioUrl() {
    const sound = $("sound");
    const binary = atob(sound.textContent.trim());
    sound.remove();
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return URL.createObjectURL(new Blob([bytes], { type: "audio/mpeg" }));
  }

  const clock = (seconds) => {
    const whole = Math.max(0, Math.round(seconds));
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  };
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const now = () => audio.currentTime;
  // The page's words come from the session language's catalogue, `{name}` filled in.
  const label = (key, values = {}) =>
    data.labels[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

  // The chapter at a time: the first that has not ended (the last one past the end).
  function chapterAt(t) {
    const index = chapters.findIndex((chapter) => t < chapter.end);
    return index < 0 ? chapters.length - 1 : index;
  }

  // Set, side, rep or time left while a set is under way; else the time left in the part.
  function detailAt(t, chapter) {
    const set = data.sets.find((s) => s.start <= t && t < s.end);
    if (!set) return label("left_in_part", { time: clock(chapter.end - t) });
    const parts = set.sets ? [label("set_of", { number: set.set, total: set.sets })] : [];
    if (set.work) {
      const index = set.work.findIndex(([start, end]) => start <= t && t < end);
      if (index >= 0) {
        if (set.work.length > 1) parts.push(label(index ? "second_side" : "first_side"));
        parts.push(label("time_left", { time: clock(set.work[index][1] - t) }));
      }
    } else {
      const done = set.reps.filter(([at]) => at <= t);
      if (done.length && t < set.repsEnd) {
        const [, side, rep] = done[done.length - 1];
        const counted = { side: side && capital(side), rep, total: set.repCount };
        parts.push(label(side ? "side_rep" : "rep", counted));
      }
    }
    return parts.length ? capital(parts.join(" · ")) : label("get_ready");
  }

  // The line being said now; between lines, the last one said in this part, dimmed.
  function lineAt(t, chapter) {
    let last = null;
    for (const line of data.speech) {
      if (line[0] > t) break;
      if (line[0] >= chapter.start) last = line;
    }
    return last ? { text: last[2], said: t >= last[1] } : { text: "", said: true };
  }

  function fillHow(chapter) {
    $("instructions").textContent = chapter.instructions || "";
    const cues = $("cues");
    cues.replaceChildren(...(chapter.cues || []).map((cue) => {
      const item = document.createElement("li");
      item.textContent = cue;
      return item;
    }));
    const kit = chapter.equipment || [];
    $("equipment").textContent = kit.length ? label("you_need", { items: kit.join(", ") }) : "";
    const after = chapters[chapters.indexOf(chapter) + 1];
    $("next").textContent = after ? label("next", { title: after.title }) : label("last_part");
  }

  function setText(id, text) {
    const element = $(id);
    if (element.textContent !== text) element.textContent = text;
  }

  let shown = -1;
  let dragging = false;
  function show() {
    const t = now();
    const index = chapterAt(t);
    const chapter = chapters[index];
    if (index !== shown) {
      shown = index;
      setText("part", chapter.title);
      fillHow(chapter);
      for (const [i, button] of chapterButtons.entries()) {
        button.setAttribute("aria-current", String(i === index));
      }
      describe(chapter);
    }
    setText("detail", detailAt(t, chapter));
    const line = lineAt(t, chapter);
    setText("line", line.text);
    $("line").classList.toggle("said", line.said);
    $("instructions").hidden = line.text === chapter.instructions;  // shown once is enough
    if (!dragging) $("seek").value = String(t);
    setText("elapsed", clock(t));
  }

  // --- the phone's own controls (Media Session) ---------------------------------------
  function describe(chapter) {
    if (!media || typeof MediaMetadata === "undefined") return;
    media.metadata = new MediaMetadata({
      title: chapter.title, artist: data.artist, album: data.routine,
    });
  }

  function position() {
    if (!media || !media.setPositionState || !Number.isFinite(audio.duration)) return;
    try {
      media.setPositionState({
        duration: audio.duration,
        playbackRate: audio.playbackRate,
        position: Math.min(now(), audio.duration),
      });
    } catch (error) {
      // A position the browser refuses is left unreported; playing goes on.
    }
  }

  function seekTo(t) {
    audio.currentTime = Math.max(0, Math.min(t, audio.duration || data.duration));
    show();
    position();
  }

  function nextDrill() {
    const index = chapterAt(now()) + 1;
    seekTo(index < chapters.length ? chapters[index].start : data.duration);
  }

  // Back to the start of this part; pressed again soon after, to the part before.
  let restartedAt = null;
  function previousDrill() {
    const pressed = performance.now() / 1000;
    let index = chapterAt(now());
    if (restartedAt !== null && pressed - restartedAt < data.previousWindow && index > 0) {
      index -= 1;
    }
    restartedAt = pressed;
    seekTo(chapters[index].start);
  }

  function play() {
    audio.play().catch(() => {});  // refused until the page is tapped: the button is there
  }

  // iOS shows two transport buttons: with no seek handlers, they are previous and next.
  const handlers = {
    play, pause: () => audio.pause(), previoustrack: previousDrill, nexttrack: nextDrill,
    seekto: (details) => seekTo(details.seekTime), seekforward: null, seekbackward: null,
  };
  function registerHandlers() {
    if (!media) return;
    for (const [action, handler] of Object.entries(handlers)) {
      try {
        media.setActionHandler(action, handler);
      } catch (error) {
        // An action this browser does not know.
      }
    }
  }

  // --- the screen stays on while playing ------------------------------------------------
  let wakeLock = null;
  async function keepAwake() {
    if (!("wakeLock" in navigator) || audio.paused || document.visibilityState !== "visible") {
      return;
    }
    try {
      wakeLock = await navigator.wakeLock.request("screen");
    } catch (error) {
      wakeLock = null;  // refused (battery saver, no permission): the session plays on
    }
  }
  function letSleep() {
    if (wakeLock) wakeLock.release().catch(() => {});
    wakeLock = null;
  }

  // --- the page -------------------------------------------------------------------------
  const chapterButtons = chapters.map((chapter) => {
    const button = document.createElement("button");
    button.type = "button";
    const title = document.createElement("span");
    title.textContent = chapter.name;
    const at = document.createElement("span");
    at.className = "at";
    at.textContent = clock(chapter.start);
    button.append(title, at);
    button.addEventListener("click", () => seekTo(chapter.start));
    const item = document.createElement("li");
    item.append(button);
    $("chapters").append(item);
    return button;
  });
  for (const chapter of chapters.slice(1)) {
    const mark = document.createElement("span");
    mark.style.left = `${(100 * chapter.start) / data.duration}%`;
    $("marks").append(mark);
  }

  $("routine").textContent = data.routine;
  $("chapters-heading").textContent = label("parts");
  $("how").setAttribute("aria-label", label("how"));
  $("seek").setAttribute("aria-label", label("position"));
  $("previous").setAttribute("aria-label", label("previous_drill"));
  $("next-drill").setAttribute("aria-label", label("next_drill"));
  $("total").textContent = clock(data.duration);
  const seek = $("seek");
  seek.max = String(data.duration);
  seek.addEventListener("pointerdown", () => { dragging = true; });
  seek.addEventListener("change", () => { dragging = false; seekTo(Number(seek.value)); });
  seek.addEventListener("input", () => setText("elapsed", clock(Number(seek.value))));
  $("play").addEventListener("click", () => (audio.paused ? play() : audio.pause()));
  $("previous").addEventListener("click", previousDrill);
  $("next-drill").addEventListener("click", nextDrill);

  const playButton = $("play");
  function playing(on) {
    playButton.classList.toggle("playing", on);
    playButton.setAttribute("aria-label", label(on ? "pause" : "play"));
    if (media) media.playbackState = on ? "playing" : "paused";
    position();
  }
  audio.addEventListener("timeupdate", show);
  audio.addEventListener("seeked", show);
  audio.addEventListener("loadedmetadata", position);
  audio.addEventListener("ratechange", position);
  audio.addEventListener("play", () => { playing(true); keepAwake(); });
  audio.addEventListener("playing", registerHandlers);  // WebKit drops them: set them again
  audio.addEventListener("pause", () => { playing(false); letSleep(); });
  audio.addEventListener("ended", letSleep);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") keepAwake();
  });

  audio.src = audioUrl();
  registerHandlers();
  playing(false);
  show();
})();
