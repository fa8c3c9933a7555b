// Social login's last step: the callback page's form posts itself at once (without JavaScript, a press does).
for (const form of document.querySelectorAll("form[data-auto-submit]")) {
  form.requestSubmit();
}
