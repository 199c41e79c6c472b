// Retour's service worker (scope: this store's portal). It shows a return's Web Push updates and
// opens the return's page when one is clicked. The message is JSON: title, body, url, tag, lang.
self.addEventListener("push", function (event) {
  var message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {};
  }
  // Browsers require every push to show a notification (userVisibleOnly).
  event.waitUntil(self.registration.showNotification(message.title || "", {
    body: message.body || "",
    lang: message.lang || "",
    tag: message.tag || "",
    renotify: Boolean(message.tag),
    data: {url: message.url || ""}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  if (url) {
    event.waitUntil(self.clients.openWindow(url));
  }
});
