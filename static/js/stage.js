// The wish page, a file (no inline script under the CSP):
// - Enter sends the wish (a tablet's Return key), Shift+Enter starts a new line;
// - the wish being typed survives a reload or a language switch (sessionStorage, this tab
//   only), and is forgotten once a drink is on its way;
// - while a drink is written, the page follows the text, unless the guest scrolled away.
(() => {
  const DRAFT = "barapp.wish";

  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement) || box.id !== "wish") return;
    // 229: a key the input method is still composing with (Safari ends the composition
    // before this keydown, so isComposing alone lets a half-typed word send the wish).
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (box.form && box.value.trim()) box.form.requestSubmit();
  });

  document.addEventListener("input", (event) => {
    if (event.target.id === "wish") sessionStorage.setItem(DRAFT, event.target.value);
  });

  const restoreDraft = () => {
    const box = document.getElementById("wish");
    const kept = sessionStorage.getItem(DRAFT);
    if (box && !box.value && kept) {
      box.value = kept;
      box.dispatchEvent(new Event("input", { bubbles: true })); // the counter follows
    }
    // A drink on screen: the wish it came from is not a draft any more.
    if (document.querySelector(".generation")) sessionStorage.removeItem(DRAFT);
  };
  document.addEventListener("DOMContentLoaded", restoreDraft);
  document.addEventListener("htmx:afterSettle", restoreDraft);

  // Following the text: only while a card fills, only downwards, and never against the
  // guest: once they scroll up themselves (wheel, finger, keys), they are reading something
  // else. Only their own input counts: a card swapped for a shorter one moves the page too.
  let away = false;
  const upKeys = new Set(["ArrowUp", "PageUp", "Home"]);
  addEventListener("wheel", (event) => { if (event.deltaY < 0) away = true; }, { passive: true });
  addEventListener("touchmove", () => { away = true; }, { passive: true });
  addEventListener("keydown", (event) => { if (upKeys.has(event.key)) away = true; });
  const smooth = () => !matchMedia("(prefers-reduced-motion: reduce)").matches;
  const follow = (element) => {
    if (away || !element) return;
    const bottom = element.getBoundingClientRect().bottom;
    if (bottom <= innerHeight - 8) return;
    const top = scrollY + bottom - innerHeight + 16;
    scrollTo({ top, behavior: smooth() ? "smooth" : "auto" });
  };
  new MutationObserver((changes) => {
    const card = document.querySelector(".drink-filling");
    for (const change of changes) {
      const target = change.target.nodeType === 1 ? change.target : change.target.parentElement;
      if (card && target && card.contains(target)) return follow(target.lastElementChild || target);
      // The card written, its final version swaps in with what to do next: show that too.
      for (const node of change.addedNodes) {
        if (node.nodeType === 1 && node.matches("article.drink:not(.drink-page)")) {
          return follow(node.querySelector(".drink-next"));
        }
      }
    }
  }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target.id === "stage") away = false;
  });
})();
