// Progressive enhancement only: move the focus to the error summary so that it is read out.
(function () {
  var summary = document.getElementById("errors");
  if (summary) { summary.focus(); }
})();
