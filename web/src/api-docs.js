// /api/v1/docs: Swagger UI wraps each operation's path in a deep link inside the button that
// opens the operation (a link inside a button: screen readers and keyboards get both wrong).
// Deep linking is off, so the link goes; the button keeps its text and still opens it.
import "./api-docs.css";

function unlink(root) {
  for (const link of root.querySelectorAll(".opblock-summary-control a[href]")) {
    link.removeAttribute("href");
  }
}

const ui = document.getElementById("swagger-ui");
if (ui) {
  new MutationObserver(() => unlink(ui)).observe(ui, { childList: true, subtree: true });
  unlink(ui);
}
