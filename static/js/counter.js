// Live character counters for text areas with data-counter="<id of the output element>".
// A file, not an inline script, so that a strict Content-Security-Policy can forbid inline code.
document.addEventListener("input", (event) => {
  const field = event.target;
  const output = field.dataset && document.getElementById(field.dataset.counter);
  if (output) output.textContent = `${field.value.length} / ${field.maxLength}`;
});
