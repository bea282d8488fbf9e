// Streams a thread's reply into the page as it is written. Without JavaScript the form posts
// normally and the whole page comes back with the reply.
(function () {
  "use strict";
  var form = document.getElementById("message-form");
  var list = document.getElementById("conversation");
  if (!form || !list || !window.fetch || !window.TextDecoder) return;

  function bubble(kind, speaker) {
    var item = document.createElement("li");
    item.className = "message message--" + kind;
    var meta = document.createElement("p");
    meta.className = "message__meta";
    meta.textContent = speaker;
    var content = document.createElement("div");
    content.className = "message__content";
    item.appendChild(meta);
    item.appendChild(content);
    list.appendChild(item);
    var empty = document.getElementById("no-messages");
    if (empty) empty.remove();
    return content;
  }

  form.addEventListener("submit", function (event) {
    var textarea = form.querySelector("textarea[name=content]");
    var text = textarea.value.trim();
    if (!text) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    bubble("user", "You").textContent = text;
    var reply = bubble("assistant", "Assistant");
    reply.setAttribute("aria-busy", "true");
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, headers: { Accept: "text/event-stream" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || !response.body || (response.headers.get("Content-Type") || "").indexOf("text/event-stream") !== 0) {
          // Errors come back as a full page; show its message (never post the message again).
          return response.text().then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var problem = page.querySelector(".flash--error, .field-error");
            reply.textContent = problem ? problem.textContent : "The reply failed (HTTP " + response.status + ").";
            reply.parentNode.classList.add("message--error");
          });
        }
        textarea.value = "";
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var pending = "";
        function read() {
          return reader.read().then(function (part) {
            if (part.done) return;
            pending += decoder.decode(part.value, { stream: true });
            var events = pending.split("\n\n");
            pending = events.pop();
            events.forEach(function (event) {
              event.split("\n").forEach(function (line) {
                if (line.indexOf("data: ") !== 0) return;
                var data = line.slice(6);
                if (data === "[DONE]") return;
                try {
                  var chunk = JSON.parse(data);
                  if (chunk.error) reply.textContent += "\n[" + chunk.error.message + "]";
                  var delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
                  if (delta && delta.content) reply.textContent += delta.content;
                } catch (ignored) {}
              });
            });
            return read();
          });
        }
        return read();
      })
      .catch(function () { reply.textContent = "The reply could not be loaded. Reload the page to see it."; })
      .finally(function () {
        reply.removeAttribute("aria-busy");
        button.disabled = false;
      });
  });
})();
