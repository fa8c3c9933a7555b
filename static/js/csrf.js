// The CSRF token for fetch(): the same one htmx sends, from the hx-headers attribute on the page wrapper.
export function csrfToken() {
  const holder = document.querySelector("[hx-headers]");
  try {
    return holder ? JSON.parse(holder.getAttribute("hx-headers"))["X-CSRFToken"] : "";
  } catch (error) {
    return "";
  }
}
