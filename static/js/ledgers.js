/* Ledgers pages, the project's own small script.
   1. The export form (ledgers/export.html): the reason for full ID numbers is asked only when
      脱敏 is unticked (without JavaScript the field is always shown; the server requires it
      either way).
   2. A background export's page (ledgers/job.html): moves the progress bar and reloads the page
      when the job has finished, so the download link appears. Without JavaScript the page
      refreshes itself every few seconds (a meta refresh inside <noscript>). */
(function () {
  "use strict";
  var mask = document.getElementById("id_mask_ids");
  var reason = document.getElementById("id_full_id_reason");
  if (mask && reason) {
    var field = reason.closest ? reason.closest(".field") : reason.parentNode;
    var sync = function () {
      var hide = mask.checked && !field.classList.contains("has-error");
      field.hidden = hide;
      field.style.display = hide ? "none" : "";
      reason.required = !mask.checked;
    };
    mask.addEventListener("change", function () {
      field.classList.remove("has-error");
      sync();
      if (!mask.checked) { reason.focus(); }
    });
    sync();
  }

  var box = document.getElementById("export-job");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-role=bar]");
  var rows = box.querySelector("[data-role=rows]");
  var status = box.querySelector("[data-role=status]");
  var delay = 1500;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, delay * 4); return; }
        if (bar) { bar.value = data.progress; bar.textContent = data.progress + "%"; }
        if (rows) { rows.textContent = data.done_rows + " / " + data.total_rows; }
        if (status) { status.textContent = data.status_label; }
        if (data.status === "pending" || data.status === "running") {
          window.setTimeout(poll, delay);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, delay * 4); });
  }
  window.setTimeout(poll, delay);
}());
