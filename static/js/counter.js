// Character counters for text areas with data-counter="<id of the output element>". A file,
// not an inline script, so that a strict Content-Security-Policy can forbid inline code.
// The visible count changes silently; near the limit, a polite live region (the element named
// by data-counter-live) says how many characters are left, once per step of ten.
const NEAR = 50;
document.addEventListener("input", (event) => {
  const field = event.target;
  const output = field.dataset && document.getElementById(field.dataset.counter);
  if (!output) return;
  output.textContent = `${field.value.length} / ${field.maxLength}`;
  const live = document.getElementById(field.dataset.counterLive);
  if (!live) return;
  const left = field.maxLength - field.value.length;
  const step = left > NEAR ? "" : String(Math.floor(left / 10));
  if (step !== (live.dataset.step || "")) {
    live.dataset.step = step;
    live.textContent = step ? (live.dataset.left || "{n}").replace("{n}", left) : "";
  }
});
