// On a phone the main navigation is one row that scrolls sideways: bring the current
// section's link into view so people see where they are.
const current = document.querySelector(".main-nav [aria-current='page']");
const nav = current && current.closest(".main-nav");
if (nav && nav.scrollWidth > nav.clientWidth) {
  nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
}

// <form data-confirm="Question?">: ask before submitting (an inline onsubmit= handler
// would be refused by the Content-Security-Policy).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
