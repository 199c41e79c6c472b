// Progressive enhancement of the tracking page: "Get updates on this device" (Web Push). Shown
// only where the browser has service workers, the Push API and notifications; without them, or
// without JavaScript, the section stays hidden and the page works the same.
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) ||
      !("Notification" in window)) {
    return;
  }
  var button = box.querySelector("button");
  var status = box.querySelector("[role=status]");
  // One browser subscription serves every return of the store (one worker scope); which returns
  // it follows is kept here and on the server.
  var memory = "retour-push:" + box.dataset.subscribe;
  var registration = null;

  function remembered() {
    try { return window.localStorage.getItem(memory) === "1"; } catch (error) { return false; }
  }
  function remember(on) {
    try {
      if (on) { window.localStorage.setItem(memory, "1"); } else { window.localStorage.removeItem(memory); }
    } catch (error) { /* private browsing: the state lasts for this page only */ }
  }
  function show(on, message) {
    button.textContent = on ? box.dataset.stop : box.dataset.start;
    status.textContent = message || "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response;
    });
  }
  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function subscribe() {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return registration.pushManager.getSubscription();
    }).then(function (existing) {
      if (existing) { return existing; }
      return fetch(box.dataset.key, {credentials: "same-origin"}).then(function (response) {
        return response.json();
      }).then(function (data) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(data.key)
        });
      });
    }).then(function (subscription) {
      return post(box.dataset.subscribe, subscription.toJSON());
    });
  }
  function unsubscribe() {
    // The browser's subscription stays: other returns of this store may use it.
    return registration.pushManager.getSubscription().then(function (subscription) {
      return subscription ? post(box.dataset.unsubscribe, {endpoint: subscription.endpoint}) : null;
    });
  }

  button.addEventListener("click", function () {
    var on = remembered();
    button.disabled = true;
    (on ? unsubscribe() : subscribe()).then(function () {
      remember(!on);
      show(!on, on ? box.dataset.off : box.dataset.on);
    }).catch(function (error) {
      show(on, error.message === "denied" ? box.dataset.denied : box.dataset.failed);
    }).then(function () {
      button.disabled = false;
    });
  });

  navigator.serviceWorker.register(box.dataset.worker, {scope: box.dataset.scope})
    .then(function (found) {
      registration = found;
      return found.pushManager.getSubscription();
    }).then(function (subscription) {
      var on = remembered() && subscription !== null && Notification.permission === "granted";
      if (on) {
        // Sent again on each visit: the browser may have renewed its keys since.
        post(box.dataset.subscribe, subscription.toJSON()).catch(function () {});
      } else {
        remember(false);
      }
      show(on, "");
      box.hidden = false;
    }).catch(function () { /* no service worker here: the section stays hidden */ });
})();
