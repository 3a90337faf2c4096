/* Keyboard shortcuts and small helpers for the inbox. No inline script: the page CSP forbids it. */
(function () {
  "use strict";

  var LANES = ["today", "feedback", "held", "fyi", "review"];  // the keys 1-5, as the help lists them

  function inbox() { return document.body.getAttribute("data-inbox") || "/"; }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.msg-row")); }
  function current() { return document.querySelector("tr.msg-row.current"); }

  function select(row) {
    var old = current();
    if (old) { old.classList.remove("current"); }
    if (!row) { return; }
    row.classList.add("current");
    var link = row.querySelector("a.open");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function step(delta) {
    var all = rows();
    if (all.length) {
      var at = all.indexOf(current());
      select(all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + delta))]);
      return;
    }
    var link = document.getElementById(delta > 0 ? "next-message" : "prev-message");
    if (link) { window.location.assign(link.href); }
  }

  function click(el) { if (el) { el.click(); } }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function help() {
    var dialog = document.getElementById("help");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  // A row reached with Tab is the chosen row too, so e, x and r act on it as after j/k.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("tr.msg-row");
    var old = current();
    if (!row || row === old) { return; }
    if (old) { old.classList.remove("current"); }
    row.classList.add("current");
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var dialog = document.getElementById("help");
    if (dialog && dialog.open) { return; }
    var row = current();
    switch (event.key) {
      case "j": step(1); break;
      case "k": step(-1); break;
      case "o": case "Enter":
        // Enter on a focused button or link is that control's own (Archive archives).
        if (event.key === "Enter" && event.target.closest && event.target.closest("button, a, summary")) { return; }
        if (!row) { return; }
        window.location.assign(row.getAttribute("data-href")); break;
      case "x":
        if (!row) { return; }
        click(row.querySelector("input[type=checkbox]")); break;
      case "e":
        if (row) { click(row.querySelector("button.archive")); } else { click(document.getElementById("archive-btn")); }
        break;
      case "r":
        if (row) { window.location.assign(row.getAttribute("data-href") + "#reply"); break; }
        var body = document.getElementById("reply-body");
        if (!body) { return; }
        body.focus(); break;
      case "/":
        var q = document.getElementById("q");
        if (q) { q.focus(); q.select(); break; }
        // A page without the search box (a message): the inbox opens with the box focused.
        window.location.assign(inbox() + "#search"); break;
      case "?": help(); break;
      default:
        if (event.key >= "1" && event.key <= "5") {
          var lane = document.querySelector('a[data-lane-key="' + event.key + '"]');
          if (lane) { click(lane); } else { window.location.assign(inbox() + "?lane=" + LANES[event.key - 1]); }
          break;
        }
        return;
    }
    event.preventDefault();
  });

  function focusReply() {
    var body = document.getElementById("reply-body");
    if (!body) { return false; }
    body.scrollIntoView({ block: "center" });
    body.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help]")) { help(); }
    if (event.target.closest("[data-reply]") && focusReply()) { event.preventDefault(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      rows().forEach(function (r) {
        var box = r.querySelector("input[type=checkbox]");
        if (box) { box.checked = event.target.checked; }
      });
    }
  });

  // A target marked data-show-errors (a preview) takes a refused request's fragment in place: its
  // sentence appears where the user is looking, and the stale preview it replaces is gone.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && target && target.hasAttribute && target.hasAttribute("data-show-errors")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // htmx drops an error reply by default, so a refused action would look like nothing happened:
  // show the error page's own sentence in the flash area instead.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr, area = document.getElementById("flash-area");
    if (!area) { return; }
    var said = "";
    try {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var alert = page.querySelector(".error-page [role=alert]") || page.querySelector("[role=alert]") ||
        page.querySelector(".error-page h1");
      said = alert ? alert.textContent.trim() : "";
    } catch (ignored) { said = ""; }
    var box = document.createElement("div");
    box.className = "flash error";
    box.setAttribute("role", "alert");
    box.textContent = (said || "That did not work") + " (error " + xhr.status + "); nothing was changed.";
    area.replaceChildren(box);
    box.scrollIntoView({ block: "nearest" });
  });

  // After htmx removes an archived row, keep the keyboard position on the next one (the one before,
  // at the end; the lane's heading when none is left), instead of dropping the focus to <body>.
  // That is for a row chosen with j/k or a button reached from the keyboard (:focus-visible); a
  // mouse click leaves the focus alone.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!event.detail.shouldSwap || !target || !target.classList || !target.classList.contains("msg-row")) { return; }
    var focused = document.activeElement;
    var fromKeys = focused && target.contains(focused) && focused.matches(":focus-visible");
    if (!target.classList.contains("current") && !fromKeys) { return; }
    var next = target.nextElementSibling || target.previousElementSibling;
    window.setTimeout(function () {
      if (next && next.isConnected) { select(next); return; }
      var title = document.getElementById("lane-title");
      if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
    }, 0);
  });

  if (window.location.hash === "#search") {
    document.addEventListener("DOMContentLoaded", function () {
      var q = document.getElementById("q");
      if (q) { q.focus(); }
    });
  }

  if (window.location.hash === "#reply") {
    document.addEventListener("DOMContentLoaded", function () {
      var body = document.getElementById("reply-body");
      if (body) { body.focus(); }
    });
  }
})();
