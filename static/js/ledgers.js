/* Moves the progress bar of a background ledger export (ledgers/job.html) and reloads the page
   when the job has finished, so the download link appears. Without JavaScript the page refreshes
   itself every few seconds (a meta refresh inside <noscript>). */
(function () {
  "use strict";
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
