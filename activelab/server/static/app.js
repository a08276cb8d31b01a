// Keyboard-first labeling: number keys press the label buttons, s skips, u undoes;
// words selected in the item's text are appended to the rationale field.
(function () {
  function typing(event) {
    const tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || event.target.isContentEditable;
  }
  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const button = document.querySelector('.labels button[data-key="' + event.key + '"]');
    if (button) { event.preventDefault(); button.click(); return; }
    const forms = { s: "skip-form", u: "undo-form" };
    const form = forms[event.key] && document.getElementById(forms[event.key]);
    if (form) { event.preventDefault(); form.requestSubmit(); }
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
