// Keyboard shortcuts for the console. Progressive enhancement only: every action
// is also a plain link or form button, and the pages work without this file.
// Served as a static file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function queueKey(key) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
    if (!rows.length) return false;
    var index = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    if (key === "j" || key === "k") {
      index = key === "j" ? Math.min(index + 1, rows.length - 1) : Math.max(index - 1, 0);
      rows.forEach(function (row) { row.classList.remove("selected"); });
      rows[index].classList.add("selected");
      rows[index].scrollIntoView({ block: "nearest" });
      return true;
    }
    if ((key === "Enter" || key === "o") && index >= 0) {
      window.location.assign(rows[index].dataset.href);
      return true;
    }
    return false;
  }

  function draftKey(key) {
    switch (key) {
      case "j": return follow("a[rel~=next]");
      case "k": return follow("a[rel~=prev]");
      case "u": return follow("a[data-key=queue]");
      case "a": {
        var form = document.getElementById("approve-form");
        if (!form) return false;
        form.requestSubmit();
        return true;
      }
      case "r": {
        var reason = document.getElementById("reject-reason");
        if (!reason) return false;
        reason.focus();
        return true;
      }
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var page = document.body.dataset.page;
    var handled = page === "queue" || page === "history" ? queueKey(event.key)
      : page === "draft" ? draftKey(event.key) : false;
    if (handled) event.preventDefault();
  });

  // Rows open on click anywhere in them (the subject is the real link).
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select, textarea")) return;
      window.location.assign(row.dataset.href);
    });
  });

  // Filters apply as soon as a choice changes.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
})();
