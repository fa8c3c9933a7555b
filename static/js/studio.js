// The content studio's drag-to-reorder: a list marked data-reorder="<scope>" posts its new order (the rows'
// old positions, comma-separated) to data-reorder-url when a row is dropped. The move up/down buttons in each
// row do the same without a mouse (and without JavaScript). Event delegation: works after htmx swaps.
import { csrfToken } from "./csrf.js";

let dragged = null;

function rowOf(target) {
  const row = target instanceof Element ? target.closest("[data-index][draggable]") : null;
  return row && row.parentElement && row.parentElement.matches("[data-reorder]") ? row : null;
}

document.addEventListener("dragstart", (event) => {
  const row = rowOf(event.target);
  if (!row) return;
  dragged = row;
  row.classList.add("is-dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", row.dataset.index);
});

document.addEventListener("dragover", (event) => {
  const row = rowOf(event.target);
  if (!dragged || !row || row === dragged || row.parentElement !== dragged.parentElement) return;
  event.preventDefault();
  const box = row.getBoundingClientRect();
  const after = event.clientY > box.top + box.height / 2;
  row.parentElement.insertBefore(dragged, after ? row.nextSibling : row);
});

document.addEventListener("dragend", async () => {
  if (!dragged) return;
  const list = dragged.parentElement;
  dragged.classList.remove("is-dragging");
  dragged = null;
  const rows = [...list.children].filter((child) => child.matches("[data-index]"));
  const order = rows.map((row) => row.dataset.index);
  if (order.every((value, position) => Number(value) === position)) return;
  const body = new URLSearchParams({ scope: list.dataset.reorder, order: order.join(","), count: String(order.length) });
  await fetch(list.dataset.reorderUrl, {
    method: "POST", body, credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
  });
  window.location.reload();  // positions, buttons and links are renumbered by the server
});
