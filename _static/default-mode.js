// pydata-sphinx-theme reads the colour mode from localStorage, which is empty on a first visit,
// and then logs "Got invalid theme mode" as an error. Start such a visit in "auto" mode instead.
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}
