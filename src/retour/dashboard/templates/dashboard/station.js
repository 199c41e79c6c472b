// The station's forms, sent with fetch: the panel is replaced, the result announced (live
// region, colour, a short beep) and the focus goes back to the scan field for the next scan.
(function () {
  "use strict";
  var field = document.getElementById("scan");
  var announce = document.getElementById("announce");
  var station = document.getElementById("station");
  var queue = Promise.resolve();
  var audio = null;

  function beep(status) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = status === "mismatch" ? 220 : 880;
      osc.type = status === "mismatch" ? "square" : "sine";
      gain.gain.value = 0.1;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (status === "mismatch" ? 0.35 : 0.12));
    } catch (e) { /* no sound: colour and text still tell */ }
  }

  function send(form, body) {
    return fetch(form.action, {
      method: "POST",
      body: body,
      headers: { "X-Station": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (data) {
      station.innerHTML = data.panel;
      announce.textContent = data.message;
      announce.className = data.status;
      announce.dataset.status = data.status;
      if (data.status) { beep(data.status); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-station")) { return; }
    event.preventDefault();
    var body = new FormData(form);
    if (form.id === "scan-form") { field.value = ""; }
    // Scans are sent one after the other, in the order they were typed.
    queue = queue.then(function () { return send(form, body); }).catch(function () {
      form.submit();  // the plain form still works
    }).then(function () { field.focus(); });
  });

  // Keep the focus in the scan field: a scanner types wherever the focus is.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("a, button, input, select, textarea")) { field.focus(); }
  });
  field.focus();
})();
