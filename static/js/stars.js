// Rating support for keyboard users: a star button's hint (its title, which only a mouse shows) is written beside
// the stars while the button has focus. Screen readers already hear it as the button's description.
document.addEventListener("focusin", (event) => {
  const button = event.target.closest(".stars-buttons .half");
  const hint = button && button.closest(".stars").querySelector(".stars-hint");
  if (hint) hint.textContent = button.dataset.hint;
});
document.addEventListener("focusout", (event) => {
  const button = event.target.closest(".stars-buttons .half");
  const hint = button && button.closest(".stars").querySelector(".stars-hint");
  if (hint) hint.textContent = "";
});
