// The label page's widgets for the task types beyond single choice (templates/label_*.html):
// each fills the form's hidden "label" field with the answer's value before it is sent.
(function () {
  const widget = document.getElementById("task-widget");
  const form = document.getElementById("label-form");
  const value = document.getElementById("task-value");
  if (!widget || !form || !value) return;
  const task = widget.dataset.task;
  // The model's guess, pre-filled: Enter accepts it as it is, or change it first.
  const initial = widget.dataset.initial || "";
  function initialList() {
    try { const found = JSON.parse(initial); return Array.isArray(found) ? found : []; }
    catch (err) { return []; }
  }

  function textField(target) {
    const tag = (target.tagName || "").toLowerCase();
    return tag === "textarea" || target.isContentEditable ||
      (tag === "input" && !["checkbox", "range", "button", "submit"].includes(target.type));
  }
  function plainKey(event) { return !(event.ctrlKey || event.metaKey || event.altKey); }

  // ---- multi-label: keys toggle the checkboxes, Enter saves --------------------------
  if (task === "multi") {
    const boxes = Array.from(widget.querySelectorAll("input[type=checkbox]"));
    const guessed = initialList();
    boxes.forEach((b) => { b.checked = guessed.includes(b.value); });
    form.addEventListener("submit", function () {
      value.value = JSON.stringify(boxes.filter((b) => b.checked).map((b) => b.value));
    });
    document.addEventListener("keydown", function (event) {
      if (textField(event.target) || !plainKey(event)) return;
      const box = boxes.find((b) => b.dataset.key && b.dataset.key === event.key);
      if (box) { event.preventDefault(); box.checked = !box.checked; return; }
      if (event.key === "Enter") { event.preventDefault(); form.requestSubmit(); }
    });
  }

  // ---- rating: number field and slider in step; Enter in the field saves --------------
  if (task === "rating") {
    const number = document.getElementById("rating-number");
    const slider = document.getElementById("rating-slider");
    if (initial !== "") { number.value = initial; slider.value = initial; }
    number.addEventListener("input", function () { if (number.value !== "") slider.value = number.value; });
    slider.addEventListener("input", function () { number.value = slider.value; });
    number.addEventListener("keydown", function (event) {
      if (event.key === "Escape") number.blur();
      // the form's default button is disabled (Enter in the rationale picks nothing)
      if (event.key === "Enter") { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function () { value.value = number.value; });
    document.addEventListener("keydown", function (event) {
      if (textField(event.target) || !plainKey(event)) return;
      if (event.key === "Enter") { event.preventDefault(); form.requestSubmit(); }
      else if (/^[0-9.]$/.test(event.key)) { number.focus(); }
    });
    number.focus();
    if (initial !== "") number.select();  // typing replaces the pre-filled guess
  }

  // ---- spans: select text, press a label's key; x removes the last span ---------------
  if (task === "spans") {
    const box = document.getElementById("item-text");
    const list = document.getElementById("span-list");
    if (!box) return;
    const text = box.textContent;
    const tags = Array.from(widget.querySelectorAll(".span-tag"));
    const color = {};
    tags.forEach((t) => { color[t.dataset.label] = t.dataset.color; });
    const tokens = Array.from(text.matchAll(/\w+|[^\w\s]/g), (m) => [m.index, m.index + m[0].length]);
    let spans = initialList().filter((s) => Array.isArray(s) && s.length === 3);
    let cursor = 0, anchor = null;  // keyboard selection over tokens

    function offsetOf(node, offset) {  // a DOM position as a character offset into text
      const range = document.createRange();
      range.selectNodeContents(box);
      range.setEnd(node, offset);
      return range.toString().length;
    }
    function positionOf(target) {  // a character offset as a DOM position
      const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
      let seen = 0, node;
      while ((node = walker.nextNode())) {
        if (seen + node.length >= target) return [node, target - seen];
        seen += node.length;
      }
      return [box, box.childNodes.length];
    }
    function selected() {
      const sel = window.getSelection();
      if (!sel || sel.isCollapsed || !box.contains(sel.anchorNode) || !box.contains(sel.focusNode)) return null;
      let a = offsetOf(sel.anchorNode, sel.anchorOffset), b = offsetOf(sel.focusNode, sel.focusOffset);
      if (a > b) [a, b] = [b, a];
      while (a < b && /\s/.test(text[a])) a++;
      while (b > a && /\s/.test(text[b - 1])) b--;
      return a < b ? [a, b] : null;
    }
    function render() {
      spans.sort((x, y) => x[0] - y[0]);
      box.textContent = "";
      let at = 0;
      spans.forEach(function (s) {
        box.append(text.slice(at, s[0]));
        const mark = document.createElement("mark");
        mark.textContent = text.slice(s[0], s[1]);
        mark.dataset.label = s[2];
        mark.title = s[2];
        mark.style.background = "color-mix(in srgb, " + (color[s[2]] || "#ff0") + " 25%, white)";
        mark.style.borderBottom = "3px solid " + (color[s[2]] || "#ff0");
        box.append(mark);
        at = s[1];
      });
      box.append(text.slice(at));
      list.textContent = "";
      spans.forEach(function (s, i) {
        const li = document.createElement("li");
        li.append(`"${text.slice(s[0], s[1])}" `);
        const tag = document.createElement("b");
        tag.textContent = s[2];
        tag.style.color = color[s[2]] || "";
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "remove";
        remove.addEventListener("click", function () { spans.splice(i, 1); render(); });
        li.append(tag, " ", remove);
        list.append(li);
      });
      value.value = JSON.stringify(spans);
    }
    function tag(label) {
      const range = selected();
      if (!range) return;
      spans = spans.filter((s) => s[1] <= range[0] || s[0] >= range[1]);  // a new tag replaces overlaps
      spans.push([range[0], range[1], label]);
      window.getSelection().removeAllRanges();
      anchor = null;
      render();
    }
    function selectTokens() {
      if (!tokens.length) return;
      const from = anchor === null ? cursor : Math.min(anchor, cursor);
      const to = anchor === null ? cursor : Math.max(anchor, cursor);
      const [n1, o1] = positionOf(tokens[from][0]);
      const [n2, o2] = positionOf(tokens[to][1]);
      window.getSelection().setBaseAndExtent(n1, o1, n2, o2);
    }
    tags.forEach((t) => t.addEventListener("click", () => tag(t.dataset.label)));
    form.addEventListener("submit", function () { value.value = JSON.stringify(spans); });
    document.addEventListener("keydown", function (event) {
      if (textField(event.target) || !plainKey(event)) return;
      const button = tags.find((t) => t.dataset.key && t.dataset.key === event.key);
      if (button) { event.preventDefault(); tag(button.dataset.label); return; }
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        if (event.shiftKey && anchor === null) anchor = cursor;
        if (!event.shiftKey) anchor = null;
        const step = event.key === "ArrowRight" ? 1 : -1;
        cursor = Math.max(0, Math.min(tokens.length - 1, cursor + step));
        selectTokens();
      } else if (event.key === "x") {
        event.preventDefault(); spans.pop(); render();
      } else if (event.key === "Enter") {
        event.preventDefault(); form.requestSubmit();
      }
    });
    render();
  }
})();
