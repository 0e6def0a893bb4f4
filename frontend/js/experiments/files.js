// @ts-check
/** Files the page hands over: a plot's picture and data, saved under a name made from its title. */

const NAME_LENGTH = 60; // characters of a title kept in a file's name
const REVOKE_MS = 10000; // how long a saved file's object URL lives (the download has started well before)

/** A file name for a title: lower case, words joined by dashes. @param {string} title @param {string} extension */
export function fileName(title, extension) {
  const stem = title.normalize("NFKD").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, NAME_LENGTH);
  return `${stem || "plot"}.${extension}`;
}

/** Offer a blob as a download. @param {Blob} blob @param {string} name */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_MS);
}

/** Offer text as a download. @param {string} text @param {string} name @param {string} type */
export function saveText(text, name, type) {
  saveBlob(new Blob([text], { type }), name);
}
