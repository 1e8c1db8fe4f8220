/* Small enhancements; every page works without them (CSP: scripts from this host only). */
(function () {
  "use strict";

  // A slow phone invites a second tap: disable the buttons of a form once it is submitted.
  // (The server is idempotent anyway: the visit form carries a one-time submission token.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form.once")) return;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // A disabled button is left out of the submitted data: keep the clicked one's value.
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var keep = document.createElement("input");
      keep.type = "hidden"; keep.name = submitter.name; keep.value = submitter.value;
      form.appendChild(keep);
    }
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      if (button.dataset.busy) button.textContent = button.dataset.busy;
    });
  });

  // "Use my location": fill the latitude and longitude inputs from the browser.
  document.querySelectorAll("[data-geolocate]").forEach(function (button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var status = document.getElementById(button.dataset.status || "");
      var say = function (text) { if (status) status.textContent = text; };
      say("正在获取位置…");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = document.getElementById(button.dataset.lat);
        var lon = document.getElementById(button.dataset.lon);
        if (lat) lat.value = pos.coords.latitude.toFixed(6);
        if (lon) lon.value = pos.coords.longitude.toFixed(6);
        say("已获取位置（精度约 " + Math.round(pos.coords.accuracy) + " 米）");
      }, function () {
        say("未能获取位置，可手工填写或不填。");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  });

  // Photo picker: show how many photos were chosen.
  document.querySelectorAll("input[type=file][data-count]").forEach(function (input) {
    var out = document.getElementById(input.dataset.count);
    input.addEventListener("change", function () {
      if (out) out.textContent = input.files.length ? "已选择 " + input.files.length + " 张照片" : "";
    });
  });

  // The menu at phone width is a checkbox (base.html, works without this): Enter opens it as
  // Space does, Escape closes it and gives the focus back to its button.
  var menu = document.getElementById("menu-toggle");
  if (menu) {
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); menu.checked = !menu.checked; }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.checked) { menu.checked = false; menu.focus(); }
    });
  }

  // Confirm before deleting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
})();
