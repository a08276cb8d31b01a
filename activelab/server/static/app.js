// Keyboard-first labeling (the rules are in docs/server.md, "The model's guess and the keys"):
// - with at most 9 labels a number key labels at once; with more, typed digits build a
//   number shown on screen and Enter chooses that label (Backspace edits, Esc clears);
// - a label's own hotkey (data-hotkey) labels at once;
// - Enter with nothing typed accepts the model's guess when one is shown;
// - in the rationale field keys type text: Enter there never picks a label, it only
//   accepts the shown guess (or does nothing without one), and Esc leaves the field;
// - ? answers "unsure", s skips, u undoes.
// Words selected in the item's text are appended to the rationale field.
(function () {
  let typed = "";

  function typing(event) {
    const tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || event.target.isContentEditable;
  }
  function form() { return document.getElementById("label-form"); }
  function maxTyped() {
    const f = form();
    return f && f.dataset.typedNumbers ? parseInt(f.dataset.typedNumbers, 10) : 0;
  }
  function labelButton(attribute, value) {
    return document.querySelector('.labels button[' + attribute + '="' + CSS.escape(value) + '"]');
  }
  function showTyped(note) {
    const out = document.getElementById("typed-number");
    if (!out) return;
    if (note) { out.textContent = note; return; }
    const button = typed && labelButton("data-number", typed);
    out.textContent = !typed ? "" : button
      ? "Label " + typed + ": " + button.value + " · Enter chooses it, Esc clears"
      : "No label " + typed + " · Backspace or Esc to correct";
  }
  function acceptGuess() {
    const button = document.getElementById("accept-guess");
    if (button) button.click();
    return Boolean(button);
  }
  function onRationaleKey(event) {
    if (event.key === "Escape") { event.target.blur(); event.preventDefault(); return; }
    if (event.key !== "Enter") return;
    event.preventDefault();  // never the form's first label
    if (!acceptGuess()) showTyped("Enter in the rationale picks no label: Esc, then a label's key");
  }
  function onTypedNumber(event) {
    if (/^[0-9]$/.test(event.key)) {
      if (typed || event.key !== "0") typed += event.key;
    } else if (event.key === "Backspace") {
      typed = typed.slice(0, -1);
    } else if (event.key === "Escape") {
      typed = "";
    } else {
      return false;
    }
    event.preventDefault();
    showTyped();
    return true;
  }
  function onEnter(event) {
    if (!typed) { if (acceptGuess()) event.preventDefault(); return; }
    event.preventDefault();
    const button = labelButton("data-number", typed);
    if (button) button.click(); else showTyped();
  }

  document.addEventListener("keydown", function (event) {
    if (event.target.id === "rationale") { onRationaleKey(event); return; }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Enter") {
      const tag = (event.target.tagName || "").toLowerCase();
      if (tag !== "button" && tag !== "a") onEnter(event);
      return;
    }
    if (maxTyped() && onTypedNumber(event)) return;
    const button = (!maxTyped() && /^[1-9]$/.test(event.key) && labelButton("data-number", event.key))
      || labelButton("data-hotkey", event.key);
    if (button) { event.preventDefault(); button.click(); return; }
    const forms = { s: "skip-form", u: "undo-form", "?": "unsure-form" };
    const target = forms[event.key] && document.getElementById(forms[event.key]);
    if (target) { event.preventDefault(); target.requestSubmit(); }
  });
  document.addEventListener("mouseup", function () {
    const text = document.getElementById("item-text");
    const field = document.getElementById("rationale");
    const selection = window.getSelection();
    if (!text || !field || !selection || selection.isCollapsed) return;
    if (document.querySelector('[data-task="spans"]')) return;  // selections tag spans there
    if (!text.contains(selection.anchorNode)) return;
    const words = selection.toString().trim();
    if (!words) return;
    field.value = field.value ? field.value + " | " + words : words;
    field.value = field.value.slice(0, 2000);
  });
})();
