/* The batch form: say the browser's time zone, so that "Send at" is read in the sender's time.
   A file rather than an inline script: the page CSP (script-src 'self') runs no inline script. */
(function () {
  "use strict";

  function fill() {
    var zone = document.getElementById("tz");
    var offset = document.getElementById("tz_offset_minutes");
    if (zone) {
      try { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone.value = ""; }
    }
    if (offset) { offset.value = String(new Date().getTimezoneOffset()); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
