// The review queue: "全选本页" ticks every visit of the page; the count says how many are ticked.
(function () {
  "use strict";
  var all = document.getElementById("review-all");
  var form = document.getElementById("bulk-review");
  if (!all || !form) return;
  var count = document.getElementById("review-count");
  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type="checkbox"][name="visits"][form="bulk-review"]')
    );
  }
  function update() {
    var list = boxes();
    var ticked = list.filter(function (b) { return b.checked; }).length;
    all.checked = list.length > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
    if (count) count.textContent = (form.getAttribute("data-count") || "已选 {n} 条").replace("{n}", ticked);
  }
  all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    update();
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "visits") update();
  });
  update();
})();
