// The tablet on the counter: after <body data-kiosk-idle> seconds without a touch, a key, the
// pointer or a scroll, it goes back to the bar's home for the next guest. base.html sets the
// attribute for guests only (KIOSK_IDLE_SECONDS; never for a bartender, never when it is 0).
// A file, not an inline script, so that the strict Content-Security-Policy holds.
(() => {
  const body = document.body;
  const seconds = Number(body.dataset.kioskIdle);
  if (!(seconds > 0)) return;
  let timer = 0;

  const reset = () => {
    // What this guest typed (the wish page keeps a draft of the wish in sessionStorage) must
    // not greet the next one.
    try {
      sessionStorage.clear();
    } catch (error) {
      // Storage refused (a private mode): nothing was kept there either.
    }
    if ("kioskFresh" in body.dataset) {
      // Already the home in the bar's language: back to its top, no reload every minute.
      window.scrollTo(0, 0);
      return;
    }
    // /reset drops the guest's language choice and answers with the home. replace(): the
    // back button does not bring the last guest's page straight back.
    location.replace("/reset");
  };

  const postpone = () => {
    clearTimeout(timer);
    timer = setTimeout(reset, seconds * 1000);
  };

  // Capture, so that nothing on the page stopping an event hides a guest's activity.
  const options = { capture: true, passive: true };
  for (const type of ["pointerdown", "pointermove", "touchstart", "keydown", "wheel", "scroll", "input"]) {
    window.addEventListener(type, postpone, options);
  }
  // A drink being written live is being watched, touched or not: each event of its stream
  // (htmx's SSE extension) counts as activity, and the wait starts again when it ends.
  document.addEventListener("htmx:sseMessage", postpone, options);
  postpone();
})();
