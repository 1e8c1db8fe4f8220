// The notice page's print button (the page works without it: the browser's own print does too).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
