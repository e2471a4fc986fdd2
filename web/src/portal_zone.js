// The tracking page shows appointment times in the customer's time zone: tell the server
// the browser's zone once (cookie fd_tz) and reload when the page was drawn in another.
const section = document.querySelector("[data-portal-zone]");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (section && zone && section.dataset.portalZone !== zone) {
  const tried = sessionStorage.getItem("fd-zone-tried");
  if (tried !== zone) {
    sessionStorage.setItem("fd-zone-tried", zone);
    document.cookie = `fd_tz=${encodeURIComponent(zone)}; path=/; SameSite=Lax`;
    location.reload();
  }
}
