// Re-engagement queue: "Copy message" puts the subject and body on the clipboard (an external
// file: the CSP allows no inline scripts).
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-message]");
  if (!button) return;
  const text = `${button.dataset.subject}\n\n${button.dataset.body}`;
  const done = () => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy message"; }, 1500);
  };
  const fallback = () => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    if (copied) done();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
});
