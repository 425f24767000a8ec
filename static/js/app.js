/* Keyboard shortcuts, the language switch, canned replies. No inline scripts anywhere (CSP). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  /* Language switch: submit on change; the button stays for browsers without scripts. */
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });

  /* Help overlay */
  var lastFocus = null;
  function overlay() { return document.getElementById("help-overlay"); }
  function openHelp() {
    var el = overlay();
    if (!el) return;
    lastFocus = document.activeElement;
    el.hidden = false;
    el.querySelector("[data-close-help]").focus();
  }
  function closeHelp() {
    var el = overlay();
    if (!el || el.hidden) return false;
    el.hidden = true;
    if (lastFocus) lastFocus.focus();
    return true;
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-open-help]")) { event.preventDefault(); openHelp(); }
    else if (event.target.closest("[data-close-help]")) closeHelp();
    else if (event.target.id === "help-overlay") closeHelp();
  });

  /* Queue selection: j / k move, Enter opens. */
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-queue] [data-row]")); }
  function select(index) {
    var list = rows();
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) { row.classList.remove("is-selected"); });
    selected = index;
    var row = list[index];
    row.classList.add("is-selected");
    var link = row.querySelector("[data-row-link]");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-queue] [data-row]");
    if (!row) return;
    var list = rows();
    list.forEach(function (r) { r.classList.remove("is-selected"); });
    row.classList.add("is-selected");
    selected = list.indexOf(row);
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    if (selected >= 0 && rows().length) {
      var list = rows();
      list[Math.min(selected, list.length - 1)].classList.add("is-selected");
    }
  });

  /* Reply form: public reply vs internal note. */
  function replyForm() { return document.querySelector("[data-reply-form]"); }
  function syncReplyKind() {
    var form = replyForm();
    if (!form) return;
    var note = form.querySelector("input[name=kind][value=note]");
    form.classList.toggle("is-note", !!(note && note.checked));
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "kind") syncReplyKind();
  });
  syncReplyKind();
  function focusReply(kind) {
    var form = replyForm() || document.getElementById("reply");
    if (!form) return false;
    if (kind) {
      var radio = form.querySelector("input[name=kind][value=" + kind + "]");
      if (radio) { radio.checked = true; syncReplyKind(); }
    }
    var box = form.querySelector("textarea");
    if (box) { box.focus(); box.scrollIntoView({ block: "center" }); }
    return true;
  }

  /* Quote a message in the reply: its lines as a Markdown quote ("> "), at the end of the reply box. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-quote]");
    if (!button) return;
    var box = replyForm() && replyForm().querySelector("textarea");
    if (!box) return;
    var lines = button.getAttribute("data-quote").replace(/\r\n/g, "\n").split("\n");
    var who = button.getAttribute("data-quote-author");
    var quote = (who ? "> **" + who + "**:\n" : "") + lines.map(function (l) { return "> " + l; }).join("\n");
    box.value = (box.value ? box.value.replace(/\s*$/, "") + "\n\n" : "") + quote + "\n\n";
    box.focus();
    box.selectionStart = box.selectionEnd = box.value.length;
  });

  /* Presence on a ticket: the next poll says "typing" when the reply box changed since the last one. */
  document.addEventListener("input", function (event) {
    if (!event.target.closest("[data-reply-form]")) return;
    var flag = document.querySelector("[data-typing]");
    if (flag) flag.value = "1";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.target.matches || !event.target.matches("[data-presence-form]")) return;
    var flag = event.target.querySelector("[data-typing]");
    if (flag) flag.value = "0";
  });

  /* The queue does not refresh itself while tickets are selected for a bulk action. */
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target && event.target.id === "queue-region" && document.querySelector("[data-bulk-pick]:checked")) {
      event.preventDefault();
    }
  });

  /* Canned replies are inserted at the cursor of the reply box. */
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-canned-insert]")) return;
    var select = document.querySelector("[data-canned]");
    var option = select && select.options[select.selectedIndex];
    if (!option || !option.value) { if (select) select.focus(); return; }
    var box = replyForm().querySelector("textarea");
    var text = option.getAttribute("data-body");
    var start = box.selectionStart || 0, end = box.selectionEnd || 0;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
  });

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (closeHelp()) return;
      if (isTyping(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (overlay() && !overlay().hidden) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q") { var q = document.querySelector(".mainnav a[href$='/agent/']"); if (q) q.click(); return; }
    }
    if (key === "?") { event.preventDefault(); openHelp(); }
    else if (key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (key === "j" && rows().length) { event.preventDefault(); select(selected + 1); }
    else if (key === "k" && rows().length) { event.preventDefault(); select(selected < 0 ? 0 : selected - 1); }
    else if (key === "Enter" && selected >= 0 && !event.target.closest("a, button")) {
      var link = rows()[selected] && rows()[selected].querySelector("[data-row-link]");
      if (link) { event.preventDefault(); link.click(); }
    } else if (key === "r") { if (focusReply("reply")) event.preventDefault(); }
    else if (key === "n") { if (focusReply("note")) event.preventDefault(); }
    else if (key === "g") { pendingG = true; }
  });

  /* SLA countdowns: [data-countdown] holds the due time (ISO 8601); the texts come translated from the
     server in data-left / data-over with {t} for the duration ("2 d 3 h", "1 h 5 min", "7 min"). */
  function durationText(ms) {
    var minutes = Math.max(0, Math.floor(ms / 60000));
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) return h ? d + " d " + h + " h" : d + " d";
    if (h) return m ? h + " h " + m + " min" : h + " h";
    return m + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-countdown"));
      if (isNaN(due)) return;
      var warn = Date.parse(el.getAttribute("data-warn") || "");
      var over = now >= due;
      var template = el.getAttribute(over ? "data-over" : "data-left") || "{t}";
      el.textContent = template.replace("{t}", durationText(over ? now - due : due - now));
      if (el.classList.contains("badge")) {
        el.classList.remove("badge--ok", "badge--warn", "badge--danger");
        el.classList.add(over ? "badge--danger" : (!isNaN(warn) && now >= warn ? "badge--warn" : "badge--ok"));
      }
    });
  }
  tick();
  window.setInterval(tick, 30000);
  document.addEventListener("htmx:afterSwap", tick);
})();
