// Link pages: the copy button and the upload progress bar (no inline scripts: the CSP forbids them).
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.value !== undefined ? source.value : source.textContent;
  const done = () => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => source.select && source.select());
  } else if (source.select) {
    source.select();
    document.execCommand("copy");
    done();
  }
});

document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = document.getElementById("upload-progress");
  if (bar && event.detail.lengthComputable && event.detail.total) {
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});
