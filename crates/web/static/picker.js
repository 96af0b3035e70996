// Pickers: a click on a suggestion (an htmx partial under the field) fills the field.
// A single-record field gets the record's label and its id in the hidden `<field>__id`;
// a many-record field gains a checked checkbox for the record. Without this script the
// typed name is read on save, so the form works either way.
document.addEventListener("click", function (ev) {
  var opt = ev.target.closest ? ev.target.closest(".pick-option") : null;
  if (!opt) return;
  ev.preventDefault();
  var field = opt.getAttribute("data-field");
  var box = document.querySelector('[data-picker="' + field + '"]');
  if (!box) return;
  var input = box.querySelector('input[name="' + field + '"]');
  var list = box.querySelector(".pick-list");
  if (box.hasAttribute("data-many")) {
    var chips = box.querySelector(".chips");
    var id = opt.getAttribute("data-id");
    if (!chips.querySelector('input[value="' + id + '"]')) {
      var label = document.createElement("label");
      label.className = "chip";
      var cb = document.createElement("input");
      cb.type = "checkbox";
      cb.name = field + "__keep";
      cb.value = id;
      cb.checked = true;
      label.appendChild(cb);
      label.appendChild(document.createTextNode(" " + opt.getAttribute("data-label")));
      chips.appendChild(label);
    }
    if (input) input.value = "";
  } else {
    var hidden = box.querySelector('input[name="' + field + '__id"]');
    if (hidden) hidden.value = opt.getAttribute("data-id");
    if (input) input.value = opt.getAttribute("data-label");
  }
  if (list) list.innerHTML = "";
  if (input) input.focus();
});
