// Decap CMS file format for Pelican's Markdown metadata ("Key: value" lines, a blank line,
// then the text). Lists (wards, services, documents) are written comma-separated.
(function (root) {
  "use strict";

  function fromFile(text) {
    var lines = text.replace(/\r\n/g, "\n").split("\n");
    var data = {};
    var i = 0;
    for (; i < lines.length; i++) {
      var match = /^([A-Za-z][A-Za-z-]*):\s?(.*)$/.exec(lines[i]);
      if (!match) {
        break;
      }
      data[match[1]] = match[2];
    }
    while (i < lines.length && lines[i] === "") {
      i++;
    }
    data.body = lines.slice(i).join("\n").replace(/\s+$/, "");
    return data;
  }

  function toFile(data) {
    var lines = [];
    Object.keys(data).forEach(function (key) {
      if (key === "body") {
        return;
      }
      var value = data[key];
      if (Array.isArray(value)) {
        value = value.join(", ");
      }
      if (value === undefined || value === null || value === "") {
        return;
      }
      lines.push(key + ": " + String(value).replace(/\s*\n\s*/g, " "));
    });
    return lines.join("\n") + "\n\n" + (data.body || "").trim() + "\n";
  }

  var format = { fromFile: fromFile, toFile: toFile };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = format;
  }
  if (root.CMS) {
    root.CMS.registerCustomFormat("pelican-meta", "md", format);
  }
})(typeof window !== "undefined" ? window : globalThis);
